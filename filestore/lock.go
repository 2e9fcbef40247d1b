package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flaskgo/session"
)

var _ session.Locker = (*Store)(nil)

// Backoff of a waiting Lock: it tries again after lockMinWait, doubling up
// to lockMaxWait (each sleep drawn from [d/2, d) so waiters spread out).
const (
	lockMinWait = time.Millisecond
	lockMaxWait = 16 * time.Millisecond
)

// errLockLost is reported by an unlock whose lock had already expired: the
// critical section outlived its TTL.
var errLockLost = errors.New("the lock expired before it was released (held longer than its TTL)")

// Lock implements session.Locker with one lock file per key,
// dir/locks/<sha256(key)>.lock, held with flock(2) for the lock's life and
// holding its expiry (Unix nanoseconds on the store's clock):
//
//   - a holder that crashes closes its file, which frees the lock at once;
//   - a holder still alive at ttl has its lock dropped by a timer;
//   - a holder that cannot run its timer (a frozen process) is broken by the
//     next Lock once the expiry in the file has passed: the file is removed,
//     so the frozen holder keeps a lock on a file nobody else uses.
//
// Taking, breaking and releasing a lock file run under the stripe lock of
// its name, and a lock counts only if the file it holds is still the one
// at the path, so an expired holder never releases its successor's lock.
// A waiting Lock tries again with a bounded backoff (1 to 16 ms) until ctx
// is done. ttl <= 0 means session.DefaultLockTTL. Needs flock(2) (Linux,
// macOS, the BSDs); elsewhere Lock returns an error wrapping
// session.ErrNotSupported. Like every lock of this store, it is local:
// not over NFS.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := s.check(ctx, "lock"); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = session.DefaultLockTTL
	}
	name := hashName(key)
	path := filepath.Join(s.dir, locksDir, name+".lock")
	wait := lockMinWait
	for {
		h, again, err := s.tryLock(name, path, ttl)
		if err != nil {
			return nil, fmt.Errorf("filestore: lock: %w", err)
		}
		if h != nil {
			h.timer = time.AfterFunc(ttl, h.expire)
			return h.unlock, nil
		}
		if again {
			continue // broke an expired lock, or lost a race for the file
		}
		t := time.NewTimer(wait/2 + mrand.N(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("filestore: lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockMaxWait)
	}
}

// tryLock makes one attempt. It returns the held lock; or again when it
// should be retried at once; or neither when the lock is busy.
func (s *Store) tryLock(name, path string, ttl time.Duration) (h *fileLock, again bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close() // drops the flock, if taken
		}
	}()
	unlockStripe, err := s.lock(name)
	if err != nil {
		return nil, false, err
	}
	defer unlockStripe()
	got, err := tryFlock(f)
	if err != nil {
		return nil, false, fmt.Errorf("flock: %w", err)
	}
	current, err := samePath(f, path)
	if err != nil {
		return nil, false, err
	}
	if !current {
		return nil, true, nil // removed since we opened it: open the new one
	}
	now := s.now()
	if !got {
		if exp, ok := readExpiry(f); ok && now.Before(exp) {
			return nil, false, nil // held and live
		}
		// Held past its expiry by a holder that cannot drop it (or that is
		// between taking the flock and writing the expiry, which the stripe
		// lock excludes): break it by removing the file.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		return nil, true, nil
	}
	if err := f.Truncate(0); err != nil {
		return nil, false, err
	}
	if _, err := f.WriteAt([]byte(strconv.FormatInt(now.Add(ttl).UnixNano(), 10)), 0); err != nil {
		return nil, false, err
	}
	keep = true
	return &fileLock{s: s, name: name, path: path, f: f}, false, nil
}

// samePath reports whether the open file f is still the file at path.
func samePath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}

// readExpiry reads the expiry a holder wrote in its lock file.
func readExpiry(f *os.File) (time.Time, bool) {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
	if err != nil {
		return time.Time{}, false // empty or torn: an abandoned file
	}
	return time.Unix(0, ns), true
}

// fileLock is one lock taken by Lock.
type fileLock struct {
	s          *Store
	name, path string

	mu       sync.Mutex
	f        *os.File // nil once released or expired
	expired  bool
	reported bool
	timer    *time.Timer
}

// drop removes the lock file if it is still ours and closes it, which
// releases the flock. Callers hold l.mu. It reports whether the file was
// still ours.
func (l *fileLock) drop() (bool, error) {
	f := l.f
	l.f = nil
	defer f.Close()
	unlockStripe, err := l.s.lock(l.name)
	if err != nil {
		// A closed store: closing the file still releases the flock; the
		// file stays, which is harmless.
		return true, nil
	}
	defer unlockStripe()
	mine, err := samePath(f, l.path)
	if err != nil || !mine {
		return false, err
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, err
	}
	return true, nil
}

// expire runs when the TTL ends with the lock still held.
func (l *fileLock) expire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	l.expired = true
	_, _ = l.drop()
}

// unlock releases the lock once; later calls return nil. An unlock that
// finds the lock expired returns an error wrapping errLockLost, once.
func (l *fileLock) unlock(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if l.expired && !l.reported {
			l.reported = true
			return fmt.Errorf("filestore: unlock: %w", errLockLost)
		}
		return nil
	}
	l.timer.Stop()
	mine, err := l.drop()
	if err != nil {
		return fmt.Errorf("filestore: unlock: %w", err)
	}
	if !mine {
		return fmt.Errorf("filestore: unlock: %w", errLockLost) // broken after its expiry
	}
	return nil
}
