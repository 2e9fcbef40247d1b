package storetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// BenchmarkMiddleware measures whole requests through the session middleware
// over the store newStore returns: untouched, read (one Get) and write (one
// Set) requests of a visitor with a typical session. Besides time and
// allocations it reports store-calls/op, the number of Store method calls per
// request (one network round trip each for the stores in this repository).
func BenchmarkMiddleware(b *testing.B, newStore func(b *testing.B) session.Store) {
	cases := []struct {
		name string
		use  func(s *session.Session)
	}{
		{"untouched", nil},
		{"read", func(s *session.Session) { s.Get("_user_id") }},
		{"write", func(s *session.Session) { s.Set("theme", time.Now().Format(time.StampNano)) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			counter := &callCounter{}
			m, err := session.New(session.Config{SecretKey: "storetest-bench", Store: counted(newStore(b), counter)})
			if err != nil {
				b.Fatal(err)
			}
			cookie := request(m, "", func(s *session.Session) {
				s.Set("_user_id", "42")
				s.Set("cart", map[string]any{"sku-1": 2, "sku-7": 1})
				s.Set("csrf", "5f2b9c0e7d1a4b3c8e6f0a9d2c4b7e1f")
			})
			value := cookieOf(cookie)
			if value == "" {
				b.Fatalf("no session cookie: %d %s", cookie.Code, cookie.Body)
			}
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.use != nil {
					tc.use(session.From(r))
				}
			}))
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: value})
			counter.n.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(counter.n.Load())/float64(b.N), "store-calls/op")
		})
	}
	b.Run("hot-update", func(b *testing.B) { benchHotUpdate(b, newStore) })
}

// benchHotUpdate is one hot session: 32 goroutines per core add one to the
// same counter with Update. store-calls/op shows what coalescing saves
// (without it: a failed write, a reload and a retry per request); the
// counter must end at exactly b.N.
func benchHotUpdate(b *testing.B, newStore func(b *testing.B) session.Store) {
	counter := &callCounter{}
	m, err := session.New(session.Config{SecretKey: "storetest-bench", Store: counted(newStore(b), counter)})
	if err != nil {
		b.Fatal(err)
	}
	value := cookieOf(request(m, "", func(s *session.Session) { s.Set("n", 0) }))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session.Update(session.From(r), "n", func(n int) int { return n + 1 })
	}))
	counter.n.Store(0)
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: value})
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(counter.n.Load())/float64(b.N), "store-calls/op")
	var got int
	request(m, value, func(s *session.Session) { got, _ = session.Get[int](s, "n") })
	if got != b.N {
		b.Errorf("counter = %d after %d Update(+1) requests", got, b.N)
	}
}

type callCounter struct{ n atomic.Int64 }

// counted wraps st so that every call is counted, keeping the capabilities
// the Manager looks for (Updater, Toucher, NonBlocking) when st has them.
func counted(st session.Store, c *callCounter) session.Store {
	base := countedStore{st: st, c: c}
	u, isUpdater := st.(session.Updater)
	t, isToucher := st.(session.Toucher)
	_, nonBlocking := st.(session.NonBlocking)
	switch {
	case isUpdater && isToucher && nonBlocking:
		return &countedNonBlocking{countedFull{countedStore: base, u: u, t: t}}
	case isUpdater && isToucher:
		return &countedFull{countedStore: base, u: u, t: t}
	case isUpdater || isToucher:
		panic(fmt.Sprintf("storetest: %T implements only one of Updater and Toucher; BenchmarkMiddleware needs both or neither", st))
	}
	return &base
}

type countedStore struct {
	st session.Store
	c  *callCounter
}

func (s *countedStore) Load(ctx context.Context, key string) (session.Record, error) {
	s.c.n.Add(1)
	return s.st.Load(ctx, key)
}

func (s *countedStore) Save(ctx context.Context, key string, rec session.Record) error {
	s.c.n.Add(1)
	return s.st.Save(ctx, key, rec)
}

func (s *countedStore) Delete(ctx context.Context, key string) error {
	s.c.n.Add(1)
	return s.st.Delete(ctx, key)
}

type countedFull struct {
	countedStore
	u session.Updater
	t session.Toucher
}

func (s *countedFull) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	s.c.n.Add(1)
	return s.u.SaveIfVersion(ctx, key, rec)
}

func (s *countedFull) Touch(ctx context.Context, key string, expires time.Time) error {
	s.c.n.Add(1)
	return s.t.Touch(ctx, key, expires)
}

// countedNonBlocking keeps the NonBlocking marker of an in-memory store.
type countedNonBlocking struct{ countedFull }

func (*countedNonBlocking) NonBlocking() {}
