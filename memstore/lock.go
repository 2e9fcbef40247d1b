package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/flaskgo/session"
)

// lockTable holds the session locks of one Store.
type lockTable struct {
	mu    sync.Mutex
	held  map[string]*heldLock
	token uint64
}

type heldLock struct {
	token    uint64
	expires  time.Time
	released chan struct{} // closed by unlock
}

// lockPoll bounds how long a waiter sleeps before looking again, so that a
// lock that expires (possibly on a test clock) is noticed.
const lockPoll = 10 * time.Millisecond

// Lock implements session.Locker: it waits until no live lock is held under
// key or ctx is done. The lock expires after ttl on the store's clock.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if s.closed.Load() {
		return nil, session.ErrStoreClosed
	}
	t := &s.locks
	for {
		now := s.now()
		t.mu.Lock()
		h := t.held[key]
		if h == nil || !now.Before(h.expires) {
			if t.held == nil {
				t.held = make(map[string]*heldLock)
			}
			t.token++
			mine := &heldLock{token: t.token, expires: now.Add(ttl), released: make(chan struct{})}
			t.held[key] = mine
			t.mu.Unlock()
			return func(context.Context) error { t.release(key, mine); return nil }, nil
		}
		released := h.released
		t.mu.Unlock()
		timer := time.NewTimer(min(lockPoll, h.expires.Sub(now)))
		select {
		case <-released:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("memstore: lock %q: %w", key, ctx.Err())
		}
		timer.Stop()
	}
}

// release drops the lock if it is still mine (not expired and retaken).
func (t *lockTable) release(key string, mine *heldLock) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held[key] == mine {
		delete(t.held, key)
		close(mine.released)
	}
}

var _ session.Locker = (*Store)(nil)

// NonBlocking implements session.NonBlocking: no call waits on I/O, so the
// Manager spares the per-call timeout.
func (s *Store) NonBlocking() {}

var _ session.NonBlocking = (*Store)(nil)
