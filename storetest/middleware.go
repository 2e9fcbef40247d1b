package storetest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// RunMiddleware drives the real session middleware over the store built by
// h.New and checks what users see: overlapping requests of one visitor lose no
// update, a session ended by one request is not revived by a slower one, a
// renewed id retires the old one at once, and read-only requests do not
// rewrite the stored value. Overlap scenarios need a store that implements
// session.Updater; without one they are skipped.
func RunMiddleware(t *testing.T, h Harness) {
	t.Helper()
	newManager := func(t *testing.T) (*session.Manager, session.Store) {
		st := h.New(t)
		// These scenarios check what overlapping requests keep, not how
		// fast: 200 of them at once under -race on two busy cores can wait
		// for a driver's pool longer than the default StoreTimeout.
		m, err := session.New(session.Config{SecretKey: "storetest-secret", Store: st, KeyPrefix: "storetest:mw:", StoreTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return m, st
	}
	needUpdater := func(t *testing.T, st session.Store) {
		if _, ok := st.(session.Updater); !ok {
			t.Skip("store does not implement session.Updater")
		}
	}

	t.Run("OverlappingRequestsKeepEveryKey", func(t *testing.T) {
		m, st := newManager(t)
		needUpdater(t, st)
		cookie := start(t, m)
		const n = 200
		concurrently(t, m, cookie, n, func(i int, s *session.Session) { s.Set(fmt.Sprintf("k%03d", i), i) })
		request(m, cookie, func(s *session.Session) {
			missing := 0
			for i := 0; i < n; i++ {
				if !s.Has(fmt.Sprintf("k%03d", i)) {
					missing++
				}
			}
			if missing != 0 {
				t.Errorf("%d of %d concurrently set keys were lost", missing, n)
			}
		})
	})

	t.Run("ConcurrentUpdatesOfOneKeyAllCount", func(t *testing.T) {
		m, st := newManager(t)
		needUpdater(t, st)
		cookie := start(t, m)
		const n = 200
		concurrently(t, m, cookie, n, func(_ int, s *session.Session) {
			session.Update(s, "counter", func(old int) int { return old + 1 })
		})
		request(m, cookie, func(s *session.Session) {
			if got, _ := session.Get[int](s, "counter"); got != n {
				t.Errorf("counter = %d after %d concurrent Update(+1), want %d", got, n, n)
			}
		})
	})

	t.Run("SameKeyLaterCommitWins", func(t *testing.T) {
		m, st := newManager(t)
		needUpdater(t, st)
		cookie := start(t, m)
		overlap(t, m, cookie,
			func(s *session.Session) { s.Set("k", "slow") },
			func(s *session.Session) { s.Set("k", "fast"); s.Set("other", 1) })
		request(m, cookie, func(s *session.Session) {
			if got := s.GetString("k"); got != "slow" {
				t.Errorf("k = %q, want the later commit's value", got)
			}
			if !s.Has("other") {
				t.Error("the earlier commit's other key was lost")
			}
		})
	})

	t.Run("DestroyIsNotUndoneBySlowerRequest", func(t *testing.T) {
		m, st := newManager(t)
		needUpdater(t, st)
		cookie := start(t, m)
		overlap(t, m, cookie,
			func(s *session.Session) { s.Set("cart", "3 items") },
			func(s *session.Session) { s.Destroy() })
		request(m, cookie, func(s *session.Session) {
			if s.Len() != 0 {
				t.Errorf("destroyed session came back with %v", s.Keys())
			}
		})
	})

	t.Run("RenewRetiresOldID", func(t *testing.T) {
		m, _ := newManager(t)
		cookie := start(t, m)
		rec := request(m, cookie, func(s *session.Session) { s.Renew() })
		renewed := cookieOf(rec)
		if renewed == "" || renewed == cookie {
			t.Fatalf("Renew did not issue a new id (old %q, new %q)", cookie, renewed)
		}
		request(m, renewed, func(s *session.Session) {
			if s.GetString("user") != "alice" {
				t.Errorf("renewed session lost its data: %v", s.Keys())
			}
		})
		request(m, cookie, func(s *session.Session) {
			if s.Len() != 0 {
				t.Error("the old id still works after Renew")
			}
		})
	})

	t.Run("UnknownIDIsNotAdopted", func(t *testing.T) {
		m, _ := newManager(t)
		forged := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		rec := request(m, forged, func(s *session.Session) { s.Set("a", 1) })
		if got := cookieOf(rec); got == "" || got == forged {
			t.Errorf("unknown id adopted: cookie %q", got)
		}
	})

	t.Run("ReadOnlyRequestDoesNotRewrite", func(t *testing.T) {
		m, st := newManager(t)
		cookie := start(t, m)
		var key string
		request(m, cookie, func(s *session.Session) { key = s.Info().StoreKey })
		before, err := st.Load(ctx(t), key)
		if err != nil {
			t.Fatal(err)
		}
		request(m, cookie, func(s *session.Session) { s.Get("user") })
		after, err := st.Load(ctx(t), key)
		if err != nil {
			t.Fatal(err)
		}
		if string(after.Data) != string(before.Data) || after.Version != before.Version {
			t.Errorf("read-only request rewrote the record (version %d -> %d)", before.Version, after.Version)
		}
	})

	t.Run("EmptiedSessionIsDeleted", func(t *testing.T) {
		m, st := newManager(t)
		cookie := start(t, m)
		var key string
		rec := request(m, cookie, func(s *session.Session) {
			key = s.Info().StoreKey
			s.Clear()
		})
		if _, err := st.Load(ctx(t), key); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("cleared session still stored: %v", err)
		}
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("no deletion cookie: %v", rec.Header())
		}
	})
}

// start creates a session holding user=alice and returns its cookie value.
// concurrently runs n overlapping requests of the visitor holding cookie,
// request i running f(i, its session), and fails t for any that did not
// answer 200.
func concurrently(t *testing.T, m *session.Manager, cookie string, n int, f func(i int, s *session.Session)) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := request(m, cookie, func(s *session.Session) { f(i, s) })
			if rec.Code != 200 {
				errs <- fmt.Errorf("request %d: status %d: %s", i, rec.Code, rec.Body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func start(t *testing.T, m *session.Manager) string {
	t.Helper()
	rec := request(m, "", func(s *session.Session) { s.Set("user", "alice") })
	c := cookieOf(rec)
	if c == "" {
		t.Fatalf("no session cookie: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	return c
}

// overlap runs slow and fast as two requests of one visitor such that both
// load the session before fast commits, and slow commits last.
func overlap(t *testing.T, m *session.Manager, cookie string, slow, fast func(*session.Session)) {
	t.Helper()
	loaded, release := make(chan struct{}), make(chan struct{})
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		done <- request(m, cookie, func(s *session.Session) {
			s.Get("user")
			close(loaded)
			<-release
			slow(s)
		})
	}()
	<-loaded
	if rec := request(m, cookie, fast); rec.Code != 200 {
		t.Fatalf("fast request: %d %s", rec.Code, rec.Body)
	}
	close(release)
	if rec := <-done; rec.Code != 200 {
		t.Fatalf("slow request: %d %s", rec.Code, rec.Body)
	}
}

func request(m *session.Manager, cookie string, f func(*session.Session)) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", m.CookieName()+"="+cookie)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f(session.From(r))
	})).ServeHTTP(rec, req)
	return rec
}

func cookieOf(rec *httptest.ResponseRecorder) string {
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.DefaultCookieName {
			return c.Value
		}
	}
	return ""
}
