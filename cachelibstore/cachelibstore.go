// Package cachelibstore is a session.Store that reads and writes the
// directory of cachelib's FileSystemCache exactly as Flask-Session's
// SESSION_TYPE = "filesystem" (and 0.7/0.8's "cachelib" with a
// FileSystemCache) lays it out, so that a Go service and a Flask
// application can share one session directory.
//
// # Layout
//
//	dir/<hex(MD5(key))>                4-byte expiry header + pickled value
//	dir/2029240f6d1128be89ddc32729463129   cachelib's file counter (key "__wz_cache_count")
//	dir/tmp*.__wz_cache                a file being written (by either side)
//	dir/flaskgo-session.lock.__wz_cache   this package's lock file
//
// The header is struct format "I": a native-endian uint32 of Unix seconds,
// 0 meaning never (little-endian on amd64 and arm64; WithByteOrder for a
// directory written on a host of the other order). Record.Data is the
// pickle after the header, as is: pair the store with flasksession.Pickle.
// Every Flask-Session version from 0.3 to 0.8 stores dict(session) pickled
// by cachelib in this backend (0.7/0.8 do not use msgspec for it), so one
// serializer serves them all.
//
// Record.UserID has no place in the layout and is not kept: the store does
// not implement session.UserIndex. The keys of the files cannot be recovered
// from their names, so it does not implement session.Lister either;
// ListFiles lists file names and expiries instead.
//
// # Concurrency
//
// Writes go to a temporary file named like cachelib's (tmp*.__wz_cache, so
// cachelib's listing skips it) and are renamed over the cache file, so a
// reader, Go or Python, sees the old or the new file, never half of one.
// Load takes no lock.
//
// Writers in Go are serialised by one lock for the directory: a mutex in the
// process plus flock(2) on the lock file, so SaveIfVersion is exact among Go
// processes on Linux, macOS and the BSDs (elsewhere only within a process).
// The lock file's name ends in ".__wz_cache", which cachelib's listing skips:
// its pruning and clear() never delete it and it is never counted.
// cachelib takes no lock: a Flask write that lands between a Go writer's
// read and its rename is overwritten, the last writer wins, as it does
// between two Flask requests.
//
// Version is derived from the pickled value (Record.Version), so a rewrite
// of the same bytes, such as Flask-Session's rewrite on every request or
// Touch, keeps it.
//
// # Expiry, counter and threshold
//
// An expired file is invisible at once; cachelib deletes expired files only
// when it prunes. DeleteExpired removes them (and temporary files a crashed
// writer left behind) and recounts. The counter file and the threshold
// behave as in cachelib (see WithThreshold): with a threshold, creating a
// file adds one to the counter, deleting one subtracts one, and before each
// Save or SaveIfVersion (as before each cachelib set()) the store prunes
// when the counter is above the threshold, deleting
// the expired files and then, if still above, the files that expire first,
// live sessions included. Set the threshold to the Flask app's
// SESSION_FILE_THRESHOLD (default 500; 0 disables counting and pruning).
package cachelibstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaskgo/session"
)

// Store is a cachelib FileSystemCache directory. It implements
// session.Store, session.Updater, session.Toucher, session.Sweeper and
// io.Closer.
type Store struct {
	dir       string
	now       func() time.Time
	order     binary.ByteOrder
	threshold int
	mode      fs.FileMode
	maxSize   int64
	mustExist bool

	mu     sync.Mutex // serialises writers in the process; guards lockFile
	lockF  *os.File   // opened on the first write
	closed atomic.Bool
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for every expiry decision (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithThreshold sets cachelib's threshold: the number of cache files above
// which every Save and SaveIfVersion first prunes the directory
// (SESSION_FILE_THRESHOLD, default 500). 0 turns counting and pruning off,
// as in cachelib. Use the value the Flask application uses.
func WithThreshold(n int) Option {
	return func(s *Store) {
		if n >= 0 {
			s.threshold = n
		}
	}
}

// WithMode sets the permission bits of the files the store writes
// (SESSION_FILE_MODE, default 0600).
func WithMode(mode fs.FileMode) Option {
	return func(s *Store) { s.mode = mode.Perm() }
}

// WithByteOrder sets the byte order of the expiry header. The default is the
// host's (binary.NativeEndian), which is what Python's struct "I" uses on
// the same host: little-endian on amd64 and arm64.
func WithByteOrder(order binary.ByteOrder) Option {
	return func(s *Store) {
		if order != nil {
			s.order = order
		}
	}
}

// WithMaxFileSize bounds the size of a cache file the store reads (and
// writes): larger files are reported as ErrCorrupt without being read.
// Default DefaultMaxFileSize (4 MiB).
func WithMaxFileSize(n int64) Option {
	return func(s *Store) {
		if n > headerSize {
			s.maxSize = n
		}
	}
}

// WithExistingDir makes New fail when dir does not exist, instead of
// creating it as cachelib does (for tools that must not create a directory
// on a mistyped path).
func WithExistingDir() Option {
	return func(s *Store) { s.mustExist = true }
}

// New opens the cache directory dir, creating it (mode 0700) if it is
// missing. New writes nothing else: the lock file is created by the first
// write.
func New(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("cachelibstore: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cachelibstore: %w", err)
	}
	s := &Store{
		dir:       abs,
		now:       time.Now,
		order:     binary.NativeEndian,
		threshold: DefaultThreshold,
		mode:      0o600,
		maxSize:   DefaultMaxFileSize,
	}
	for _, o := range opts {
		o(s)
	}
	if s.mustExist {
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("cachelibstore: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("cachelibstore: %s is not a directory", abs)
		}
	} else if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("cachelibstore: %w", err)
	}
	return s, nil
}

// Dir returns the absolute path of the cache directory.
func (s *Store) Dir() string { return s.dir }

// Close releases the lock file. Later calls of any method return an error
// wrapping session.ErrStoreClosed. Close is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.mu.Lock() // waits for a writer
	defer s.mu.Unlock()
	if s.lockF != nil {
		err := s.lockF.Close()
		s.lockF = nil
		if err != nil {
			return fmt.Errorf("cachelibstore: close: %w", err)
		}
	}
	return nil
}

// check reports why an operation may not run. Keys are never put in errors:
// they hold session ids, which are secrets.
func (s *Store) check(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("cachelibstore: %s: %w", op, session.ErrStoreClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cachelibstore: %s: %w", op, err)
	}
	return nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// lock takes the directory's write lock, in this process and, where
// supported, across processes.
func (s *Store) lock() (unlock func(), err error) {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil, session.ErrStoreClosed
	}
	if s.lockF == nil {
		f, err := os.OpenFile(s.path(lockName), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.lockF = f
	}
	if err := flock(s.lockF, true); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("flock: %w", err)
	}
	return func() {
		_ = flock(s.lockF, false) // closing the file would release it too
		s.mu.Unlock()
	}, nil
}

// readBounded reads file name, refusing (with ErrCorrupt) a file larger
// than the size limit before reading it.
func (s *Store) readBounded(name string) ([]byte, error) {
	f, err := os.Open(s.path(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrCorrupt)
	}
	if fi.Size() > s.maxSize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrCorrupt, fi.Size(), s.maxSize)
	}
	// Files are replaced, never rewritten in place, but read at most one
	// byte more than the limit in case a foreign writer grows it.
	b, err := io.ReadAll(io.LimitReader(f, s.maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > s.maxSize {
		return nil, fmt.Errorf("%w: over the %d-byte limit", ErrCorrupt, s.maxSize)
	}
	return b, nil
}

// readHeader reads only the expiry header of file name.
func (s *Store) readHeader(name string) (uint32, error) {
	f, err := os.Open(s.path(name))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h [headerSize]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return s.order.Uint32(h[:]), nil
}

// read returns the decoded file name, nil if there is none, or an error
// (wrapping ErrCorrupt for a file that cannot be decoded).
func (s *Store) read(name string) (*file, error) {
	b, err := s.readBounded(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := parseFile(b, s.order)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// writeFile atomically replaces file name with b, as cachelib does: a
// temporary file tmp*.__wz_cache in the directory, renamed over the name.
func (s *Store) writeFile(name string, b []byte) (err error) {
	f, err := os.CreateTemp(s.dir, "tmp*"+tmpSuffix) // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if s.mode != 0o600 {
		if err := f.Chmod(s.mode); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), s.path(name))
}

var _ interface {
	session.Store
	session.Updater
	session.Toucher
	session.Sweeper
	io.Closer
} = (*Store)(nil)
