package cachelibstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/flaskgo/session"
)

// errReservedKey refuses writes under cachelib's counter key.
var errReservedKey = errors.New("key is cachelib's counter key")

// Load implements session.Store. Record.Data is the pickle after the
// header; Record.UserID is always ""; Record.Expires is zero for a file
// that never expires (header 0). A file that cannot be decoded, or is
// larger than the size limit, gives an error wrapping ErrCorrupt.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	if err := s.check(ctx, "load"); err != nil {
		return session.Record{}, err
	}
	name := FileName(key)
	if name == countName {
		return session.Record{}, fmt.Errorf("cachelibstore: load: %w", session.ErrNotFound)
	}
	f, err := s.read(name)
	if err != nil {
		return session.Record{}, fmt.Errorf("cachelibstore: load: %w", err)
	}
	if f == nil || !f.live(s.now()) {
		return session.Record{}, fmt.Errorf("cachelibstore: load: %w", session.ErrNotFound)
	}
	return session.Record{
		Data:    f.payload, // freshly read: the caller's to keep
		Expires: f.expiresTime(),
		Version: version(f.payload),
	}, nil
}

// Save implements session.Store. A corrupt file under key is replaced. A
// record whose Expires is not in the future (in whole seconds) deletes the
// stored one. Record.UserID is not kept.
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	_, err := s.write(ctx, "save", key, rec, false)
	return err
}

// SaveIfVersion implements session.Updater. A corrupt file counts as no
// record, so version 0 replaces it. The condition is exact among Go
// processes sharing the directory; see the package doc for Flask writers.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	return s.write(ctx, "save if version", key, rec, true)
}

func (s *Store) write(ctx context.Context, op, key string, rec session.Record, conditional bool) (uint64, error) {
	if err := s.check(ctx, op); err != nil {
		return 0, err
	}
	name := FileName(key)
	if name == countName {
		return 0, fmt.Errorf("cachelibstore: %s: %w", op, errReservedKey)
	}
	if int64(len(rec.Data))+headerSize > s.maxSize {
		return 0, fmt.Errorf("cachelibstore: %s: %w: %d bytes of data, over the %d-byte file limit", op, ErrTooLarge, len(rec.Data), s.maxSize)
	}
	unlock, err := s.lock()
	if err != nil {
		return 0, fmt.Errorf("cachelibstore: %s: %w", op, err)
	}
	defer unlock()

	now := s.now()
	exp, keep := headerExpiry(rec.Expires, now)
	if keep {
		// cachelib prunes before every set(); pruning first also means a
		// conditional write sees the state pruning left.
		if err := s.prune(now); err != nil {
			return 0, fmt.Errorf("cachelibstore: %s: %w", op, err)
		}
	}
	old, err := s.read(name)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return 0, fmt.Errorf("cachelibstore: %s: %w", op, err)
	}
	existed := old != nil || err != nil // a corrupt file exists too
	if conditional {
		var current uint64
		if old != nil && old.live(now) {
			current = version(old.payload)
		}
		if current != rec.Version {
			return 0, fmt.Errorf("cachelibstore: %s: %w", op, session.ErrConflict)
		}
	}
	if !keep {
		if err := s.remove(name); err != nil {
			return 0, fmt.Errorf("cachelibstore: %s: %w", op, err)
		}
		return version(rec.Data), nil
	}
	if err := s.writeFile(name, appendFile(nil, file{expires: exp, payload: rec.Data}, s.order)); err != nil {
		return 0, fmt.Errorf("cachelibstore: %s: %w", op, err)
	}
	if !existed {
		if err := s.addCount(1); err != nil {
			return 0, fmt.Errorf("cachelibstore: %s: counter: %w", op, err)
		}
	}
	return version(rec.Data), nil
}

// remove deletes file name and, if there was one, counts it out. The caller
// holds the lock.
func (s *Store) remove(name string) error {
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.addCount(-1); err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	return nil
}

// Delete implements session.Store. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete"); err != nil {
		return err
	}
	name := FileName(key)
	if name == countName {
		return nil // never a session
	}
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("cachelibstore: delete: %w", err)
	}
	defer unlock()
	if err := s.remove(name); err != nil {
		return fmt.Errorf("cachelibstore: delete: %w", err)
	}
	return nil
}

// Touch implements session.Toucher: it rewrites the file with the new
// expiry header and the same value (as Flask-Session's rewrite on each
// request does), so Version does not change.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := s.check(ctx, "touch"); err != nil {
		return err
	}
	name := FileName(key)
	if name == countName {
		return fmt.Errorf("cachelibstore: touch: %w", session.ErrNotFound)
	}
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("cachelibstore: touch: %w", err)
	}
	defer unlock()
	now := s.now()
	old, err := s.read(name)
	if err != nil {
		return fmt.Errorf("cachelibstore: touch: %w", err)
	}
	if old == nil || !old.live(now) {
		return fmt.Errorf("cachelibstore: touch: %w", session.ErrNotFound)
	}
	exp, keep := headerExpiry(expires, now)
	if !keep {
		if err := s.remove(name); err != nil {
			return fmt.Errorf("cachelibstore: touch: %w", err)
		}
		return nil
	}
	if err := s.writeFile(name, appendFile(nil, file{expires: exp, payload: old.payload}, s.order)); err != nil {
		return fmt.Errorf("cachelibstore: touch: %w", err)
	}
	return nil
}
