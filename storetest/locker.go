package storetest

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// lockTTL is the TTL of the locks RunLocker lets expire: long enough for a
// slow backend to take the lock and check it, short enough to wait for.
const lockTTL = 400 * time.Millisecond

// RunLocker checks a session.Locker on real time: mutual exclusion under
// contention, a wait bounded by its context, expiry of a holder that never
// unlocks, unlock releasing only the holder's own lock, idempotent unlock,
// isolation of lock names, and Session.Lock through the real middleware.
// newStore returns an empty, ready store (register cleanup with t.Cleanup);
// it is called once per subtest. A store without Locker is skipped.
//
// Lock names start with "storetest:lock:" and a random part, so stores
// sharing one backend may run it at once. The expiry subtests sleep a few
// hundred milliseconds: locks must honour TTLs of that size.
func RunLocker(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	l := &lockSuite{newStore: newStore}
	t.Run("MutualExclusion", l.testMutualExclusion)
	t.Run("WaitBoundedByContext", l.testWaitBounded)
	t.Run("CanceledContext", l.testCanceled)
	t.Run("ReleaseWakesWaiter", l.testReleaseWakes)
	t.Run("CrashedHolderExpires", l.testExpiry)
	t.Run("UnlockLeavesOthersLock", l.testUnlockOwnOnly)
	t.Run("UnlockIdempotent", l.testUnlockIdempotent)
	t.Run("NamesIsolated", l.testNamesIsolated)
	t.Run("Middleware", l.testMiddleware)
	t.Run("Closed", l.testClosed)
}

type lockSuite struct {
	newStore func(t *testing.T) session.Store
}

func (l *lockSuite) locker(t *testing.T) (session.Store, session.Locker) {
	t.Helper()
	st := l.newStore(t)
	if st == nil {
		t.Fatal("newStore returned nil")
	}
	lk, ok := st.(session.Locker)
	if !ok {
		t.Skip("store does not implement session.Locker")
	}
	return st, lk
}

func lockName(t *testing.T) string {
	return keyPrefix + "lock:" + randString(t, 22)
}

type unlockFunc = func(context.Context) error

// mustLock takes the lock or fails the test.
func mustLock(t *testing.T, lk session.Locker, name string, ttl time.Duration) unlockFunc {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	unlock, err := lk.Lock(c, name, ttl)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if unlock == nil {
		t.Fatal("Lock returned a nil unlock func and no error")
	}
	return unlock
}

// mustUnlock releases a lock that is still held.
func mustUnlock(t *testing.T, unlock unlockFunc) {
	t.Helper()
	if err := unlock(ctx(t)); err != nil {
		t.Errorf("unlock: %v", err)
	}
}

// WantLockHeld checks that name is held by someone else: a Lock bounded by
// wait times out with an error wrapping context.DeadlineExceeded. For a
// store's own lock tests (another process, another handle).
func WantLockHeld(t *testing.T, lk session.Locker, name string, wait time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	unlock, err := lk.Lock(c, name, time.Minute)
	if err == nil {
		t.Error("Lock succeeded on a lock that another holder has")
		_ = unlock(ctx(t))
		return
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock on a held lock = %v; want an error wrapping context.DeadlineExceeded", err)
	}
}

// LockWithin takes name within limit (failing t otherwise), releases it,
// and reports how long taking it took: how soon a crashed or expired
// holder's lock became free.
func LockWithin(t *testing.T, lk session.Locker, name string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	unlock, err := lk.Lock(c, name, time.Minute)
	if err != nil {
		t.Fatalf("Lock: %v (after %v)", err, time.Since(start))
	}
	took := time.Since(start)
	if err := unlock(context.Background()); err != nil {
		t.Error(err)
	}
	return took
}

// wantFree checks that name can be taken at once (within a generous bound).
func wantFree(t *testing.T, lk session.Locker, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlock, err := lk.Lock(c, name, time.Minute)
	if err != nil {
		t.Errorf("Lock on a free lock: %v", err)
		return
	}
	mustUnlock(t, unlock)
}

func (l *lockSuite) testMutualExclusion(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	const goroutines, rounds = 16, 5
	var (
		counter int // plain: only the lock protects it
		inside  atomic.Int32
		wg      sync.WaitGroup
	)
	c := ctx(t)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				unlock, err := lk.Lock(c, name, time.Minute)
				if err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders inside the lock at once", n)
				}
				v := counter
				runtime.Gosched()
				time.Sleep(100 * time.Microsecond) // widen the window a broken lock leaves
				counter = v + 1
				inside.Add(-1)
				if err := unlock(c); err != nil {
					t.Errorf("unlock: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if counter != goroutines*rounds {
		t.Errorf("counter = %d after %d locked increments; want %d (lost updates)", counter, goroutines*rounds, goroutines*rounds)
	}
}

func (l *lockSuite) testWaitBounded(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	unlock := mustLock(t, lk, name, time.Minute)
	defer mustUnlock(t, unlock)
	const wait = 150 * time.Millisecond
	start := time.Now()
	WantLockHeld(t, lk, name, wait)
	if took := time.Since(start); took < wait-10*time.Millisecond {
		t.Errorf("Lock gave up after %v; want it to wait for its context (%v)", took, wait)
	} else if took > wait+5*time.Second {
		t.Errorf("Lock returned %v after its context ended", took-wait)
	}
}

func (l *lockSuite) testCanceled(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	unlock := mustLock(t, lk, name, time.Minute)
	defer mustUnlock(t, unlock)
	c, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		u, err := lk.Lock(c, name, time.Minute)
		if err == nil {
			_ = u(context.Background())
		}
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lock cancelled while waiting = %v; want an error wrapping context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock still waiting 5s after its context was cancelled")
	}
	// A context cancelled before the call: succeed or report Canceled.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	other := lockName(t)
	if u, err := lk.Lock(done, other, time.Minute); err == nil {
		mustUnlock(t, u)
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled context = %v; want success or an error wrapping context.Canceled", err)
	}
}

func (l *lockSuite) testReleaseWakes(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	unlock := mustLock(t, lk, name, time.Minute)
	got := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		u, err := lk.Lock(c, name, time.Minute)
		if err == nil {
			err = u(c)
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("waiter returned (%v) while the lock was held", err)
	default:
	}
	mustUnlock(t, unlock)
	if err := <-got; err != nil {
		t.Errorf("waiter after the release: %v", err)
	}
}

func (l *lockSuite) testExpiry(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	start := time.Now()
	crashed := mustLock(t, lk, name, lockTTL) // never unlocked: a stuck holder
	_ = crashed
	c, cancel := context.WithTimeout(context.Background(), lockTTL+5*time.Second)
	defer cancel()
	unlock, err := lk.Lock(c, name, time.Minute)
	if err != nil {
		t.Fatalf("Lock after the holder's TTL of %v: %v", lockTTL, err)
	}
	defer mustUnlock(t, unlock)
	if took := time.Since(start); took < lockTTL-lockTTL/4 {
		t.Errorf("lock with a TTL of %v was taken over after %v", lockTTL, took)
	}
	// The new holder's lock does not inherit the old TTL.
	time.Sleep(lockTTL)
	WantLockHeld(t, lk, name, 100*time.Millisecond)
}

func (l *lockSuite) testUnlockOwnOnly(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	expired := mustLock(t, lk, name, lockTTL)
	c, cancel := context.WithTimeout(context.Background(), lockTTL+5*time.Second)
	defer cancel()
	current, err := lk.Lock(c, name, time.Minute)
	if err != nil {
		t.Fatalf("Lock after the holder's TTL: %v", err)
	}
	// The first holder comes back and unlocks: it may report that its lock
	// expired, but it must not release the current holder's.
	if err := expired(ctx(t)); err != nil {
		t.Logf("unlock of an expired lock: %v", err)
	}
	WantLockHeld(t, lk, name, 150*time.Millisecond)
	mustUnlock(t, current)
	wantFree(t, lk, name)
}

func (l *lockSuite) testUnlockIdempotent(t *testing.T) {
	_, lk := l.locker(t)
	name := lockName(t)
	first := mustLock(t, lk, name, time.Minute)
	mustUnlock(t, first)
	if err := first(ctx(t)); err != nil {
		t.Errorf("second unlock: %v; want nil", err)
	}
	second := mustLock(t, lk, name, time.Minute)
	if err := first(ctx(t)); err != nil {
		t.Errorf("third unlock: %v; want nil", err)
	}
	WantLockHeld(t, lk, name, 150*time.Millisecond) // the old unlock left it alone
	mustUnlock(t, second)
	wantFree(t, lk, name)
}

func (l *lockSuite) testNamesIsolated(t *testing.T) {
	_, lk := l.locker(t)
	base := lockName(t)
	long := base + ":" + randString(t, 250-len(base)-1) // the longest key a store must take
	unlock := mustLock(t, lk, base+"a", time.Minute)
	defer mustUnlock(t, unlock)
	for _, other := range []string{base + "b", base + "A", base, base + "a:lock", long} {
		wantFree(t, lk, other)
	}
	held := mustLock(t, lk, long, time.Minute)
	wantFree(t, lk, long[:len(long)-1])
	mustUnlock(t, held)
}

// testMiddleware runs overlapping requests of one visitor whose handler
// reads a counter with Get and writes it back with Set under Session.Lock:
// none of the increments may be lost.
func (l *lockSuite) testMiddleware(t *testing.T) {
	st, _ := l.locker(t)
	// A generous StoreTimeout: this checks exclusion, not latency, on
	// machines that may be loaded.
	m, err := session.New(session.Config{SecretKey: "storetest-secret", Store: st, KeyPrefix: "storetest:lock-mw:", StoreTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cookie := start(t, m)
	const n = 8
	concurrently(t, m, cookie, n, func(_ int, s *session.Session) {
		if err := s.Lock(30 * time.Second); err != nil {
			t.Errorf("Session.Lock: %v", err)
			return
		}
		v, _ := session.Get[int](s, "counter")
		time.Sleep(5 * time.Millisecond) // the others load meanwhile
		s.Set("counter", v+1)
	})
	request(m, cookie, func(s *session.Session) {
		if got, _ := session.Get[int](s, "counter"); got != n {
			t.Errorf("counter = %d after %d locked read-modify-writes, want %d", got, n, n)
		}
		if s.GetString("user") != "alice" {
			t.Errorf("session lost its other data: %v", s.Keys())
		}
	})
}

func (l *lockSuite) testClosed(t *testing.T) {
	st, lk := l.locker(t)
	cl, ok := st.(io.Closer)
	if !ok {
		t.Skip("store does not implement io.Closer")
	}
	name := lockName(t)
	held := mustLock(t, lk, name, time.Minute)
	if err := cl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_ = held(ctx(t)) // may fail: the store is closed; must not panic
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if u, err := lk.Lock(c, lockName(t), time.Minute); err == nil {
		t.Error("Lock on a closed store succeeded")
		_ = u(ctx(t))
	}
}
