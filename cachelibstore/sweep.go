package cachelibstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"
)

// tmpMaxAge is how old a temporary file must be before DeleteExpired
// assumes its writer crashed. Writes take milliseconds.
const tmpMaxAge = time.Minute

// DeleteExpired implements session.Sweeper: it removes the cache files whose
// expiry has passed and reports how many. It also removes temporary files
// (tmp*.__wz_cache) older than a minute, which a crashed writer on either
// side leaves behind and cachelib never removes, and, when a threshold is
// set, rewrites the counter with the number of files left, as cachelib does
// when it opens a directory. Files that are not cache files by name are left
// alone. The age of temporary files is measured on the wall clock (file
// times), not the store's clock.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	if err := s.check(ctx, "delete expired"); err != nil {
		return 0, err
	}
	unlock, err := s.lock()
	if err != nil {
		return 0, fmt.Errorf("cachelibstore: delete expired: %w", err)
	}
	defer unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("cachelibstore: delete expired: %w", err)
	}
	now := s.now()
	removed := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("cachelibstore: delete expired: %w", err)
		}
		name := e.Name()
		switch {
		case name == lockName || name == countName:
		case strings.HasPrefix(name, "tmp") && strings.HasSuffix(name, tmpSuffix):
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > tmpMaxAge {
				os.Remove(s.path(name))
			}
		case isCacheName(name):
			exp, err := s.readHeader(name)
			if err != nil || exp == 0 || (file{expires: exp}).live(now) {
				continue
			}
			if err := os.Remove(s.path(name)); err == nil {
				removed++
			} else if !errors.Is(err, fs.ErrNotExist) {
				return removed, fmt.Errorf("cachelibstore: delete expired: %w", err)
			}
		}
	}
	if s.threshold != 0 {
		names, err := s.listNames()
		if err == nil {
			err = s.writeCount(int64(len(names)))
		}
		if err != nil {
			return removed, fmt.Errorf("cachelibstore: delete expired: counter: %w", err)
		}
	}
	return removed, nil
}

// FileInfo describes one cache file, as ListFiles reports it. The key it
// holds cannot be recovered from the name: compare Name with FileName(key).
type FileInfo struct {
	Name    string    // hex(MD5(key))
	Size    int64     // bytes, header included
	Expires time.Time // zero: never expires (header 0)
	Expired bool      // the expiry has passed; Load reports ErrNotFound
	ModTime time.Time // when it was last written
}

// ListFiles lists the cache files of the directory in name order (at most
// limit; limit <= 0: all), expired ones included, for admin tools such as
// sessionctl store ls. It leaves out the counter, temporary files, the lock
// file and names that are not cache file names. It never reads more than a
// file's header. Note that a directory Flask-Session shares with other
// cachelib users may hold non-session entries too.
func (s *Store) ListFiles(ctx context.Context, limit int) ([]FileInfo, error) {
	if err := s.check(ctx, "list files"); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("cachelibstore: list files: %w", err)
	}
	now := s.now()
	var out []FileInfo
	for _, e := range entries {
		name := e.Name()
		if name == countName || !isCacheName(name) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue // gone since ReadDir, or not a file
		}
		exp, err := s.readHeader(name)
		if err != nil {
			continue
		}
		f := file{expires: exp}
		out = append(out, FileInfo{Name: name, Size: info.Size(), Expires: f.expiresTime(), Expired: !f.live(now), ModTime: info.ModTime()})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
