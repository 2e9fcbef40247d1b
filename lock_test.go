package session_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/memstore"
)

// With Lock, plain read-modify-writes of one key do not interleave: 20
// overlapping "+1 with Get and Set" requests add exactly 20.
func TestLockSerializesReadModifyWrite(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("n", 0) }), "session")
	const n = 20
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
				s := session.From(r)
				if err := s.Lock(5 * time.Second); err != nil {
					t.Error(err)
					return
				}
				v, _ := session.Get[int](s, "n")
				time.Sleep(time.Millisecond) // widen the window a lock must close
				s.Set("n", v+1)
			})
			if rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
		}()
	}
	wg.Wait()
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if v, _ := session.Get[int](session.From(r), "n"); v != n {
			t.Errorf("n = %d after %d locked increments, want %d", v, n, n)
		}
	})
}

func TestLockTimeoutAndCrashedHolder(t *testing.T) {
	clock := testenv.RealClock()
	ms := memstore.New(memstore.WithClock(clock.Now))
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms, LockTTL: time.Minute, Now: clock.Now})
	var key string
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("n", 0)
		w.WriteHeader(http.StatusOK)
		key = s.Info().StoreKey
	}), "session")
	// A holder that crashed: it took the lock and never released it.
	if _, err := ms.Lock(context.Background(), key+":lock", time.Minute); err != nil {
		t.Fatal(err)
	}
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		err := session.From(r).Lock(30 * time.Millisecond)
		if !errors.Is(err, session.ErrLockTimeout) {
			t.Errorf("Lock while held: %v, want ErrLockTimeout", err)
		}
	})
	clock.Advance(2 * time.Minute) // the crashed holder's lock expired
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r).Lock(time.Second); err != nil {
			t.Errorf("Lock after the holder's TTL: %v", err)
		}
	})
	// That request's commit released its lock: the next one gets it at once.
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r).Lock(30 * time.Millisecond); err != nil {
			t.Errorf("lock not released after the commit: %v", err)
		}
	})
}

func TestLockReleasedWhenTheHandlerPanics(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("n", 0) }), "session")
	func() {
		defer func() { recover() }()
		serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Lock(time.Second)
			panic("handler bug")
		})
	}()
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r).Lock(30 * time.Millisecond); err != nil {
			t.Errorf("lock kept after a panic: %v", err)
		}
	})
}

func TestLockMisuse(t *testing.T) {
	cookieMode := newManager(t, session.Config{})
	serve(t, cookieMode, "", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r).Lock(0); !errors.Is(err, session.ErrNotSupported) {
			t.Errorf("Lock in cookie mode: %v, want ErrNotSupported", err)
		}
	})
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if err := s.Lock(0); err != nil {
			t.Errorf("Lock of a new session: %v, want nil (nothing to lock)", err)
		}
	})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("n", 0) }), "session")
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("x", 1)
		if err := s.Lock(0); err == nil {
			t.Error("Lock after a change: no error")
		}
	})
}
