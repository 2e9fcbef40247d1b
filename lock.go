package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLockTimeout is returned by Session.Lock when the session stayed locked
// by another request for the whole wait. Answer it with 409 Conflict or 503
// and Retry-After; the session was not changed.
var ErrLockTimeout = errors.New("session: timed out waiting for the session lock")

// DefaultLockTTL is how long a session lock lives when its holder never
// releases it (a crashed process): Config.LockTTL's default.
const DefaultLockTTL = 30 * time.Second

// lockSuffix names a session's lock after its store key.
const lockSuffix = ":lock"

// Lock makes the rest of the request a critical section over this session,
// across processes: other requests that call Lock on the same session wait
// until this request's commit is done (the lock is released right after the
// commit, and never held past the request). Use it only where overlapping
// requests must not interleave at all — Update and the default merge
// already keep concurrent changes.
//
// Lock must be called before the session is changed: it reloads the session
// once the lock is held, so the handler sees what the previous holder
// committed. It waits at most wait (0: Config.StoreTimeout) and then returns
// an error wrapping ErrLockTimeout. A new session, with nothing stored yet,
// needs no lock: Lock returns nil. The store must implement Locker (else
// ErrNotSupported).
func (s *Session) Lock(wait time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.m.serverSide("Lock")
	if err != nil {
		return err
	}
	if b.locker == nil {
		return fmt.Errorf("%w: Lock: the store does not implement Locker", ErrNotSupported)
	}
	if s.committed {
		return fmt.Errorf("session: Lock after the commit: %w", ErrCommitted)
	}
	if s.unlock != nil {
		return nil // already held by this request
	}
	if s.modified() {
		return errors.New("session: Lock must be called before the session is changed")
	}
	s.load()
	if s.storeKey == "" {
		return s.loadErr
	}
	if wait <= 0 {
		wait = b.cfg.StoreTimeout
	}
	ctx, cancel := bound(s.ctx, wait)
	defer cancel()
	unlock, err := b.locker.Lock(ctx, s.storeKey+lockSuffix, b.cfg.LockTTL)
	if err != nil {
		// The wait ran out (not the request's context). Testing err itself
		// would also catch a store that failed with a network timeout,
		// which must not read as "locked by another request".
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && s.ctx.Err() == nil {
			return fmt.Errorf("%w (waited %v): %w", ErrLockTimeout, wait, err)
		}
		return redact(storeErr("lock", err), s.id)
	}
	s.unlock = unlock
	// Reload: the previous holder may have committed since we loaded.
	s.loaded, s.values, s.hadCookie, s.storeKey, s.id = false, nil, false, "", ""
	s.load()
	return nil
}

// releaseLock releases the session lock, if this request holds one.
// Callers hold s.mu.
func (s *Session) releaseLock() {
	if s.unlock == nil {
		return
	}
	unlock := s.unlock
	s.unlock = nil
	ctx, cancel := bound(context.WithoutCancel(s.ctx), s.m.cfg.StoreTimeout)
	defer cancel()
	if err := redact(unlock(ctx), s.id); err != nil {
		// The lock expires by itself after LockTTL.
		s.m.cfg.Logger.Warn("session lock not released; it expires by itself", "err", err, "path", pathOf(s.req))
	}
}

// releaseAfterPanic releases the lock of a request whose handler panicked
// before the commit. A panic inside a Session method may leave s.mu held:
// then the lock expires by itself.
func (s *Session) releaseAfterPanic() {
	if s.mu.TryLock() {
		s.releaseLock()
		s.mu.Unlock()
	}
}
