package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

// Budgets per request through the middleware, averaged over a batch:
// client round trips (go-redis hook: one per command or pipeline) and Redis
// commands (INFO commandstats on a private server, which counts the
// commands run inside scripts and the EVALSHA that ran them).
var requestBudgets = map[string]struct{ roundTrips, commands float64 }{
	"untouched": {0, 0},
	"read":      {1, 3},
	"write":     {2, 8},
	"hot":       {2, 8},
}

// TestCommandsPerRequest sends requests through the real middleware on a
// private redis-server (so commandstats see only this test): untouched,
// read and write requests spread over 256 sessions by 8 goroutines, and
// one hot session that 32 goroutines update at once with Update(+1). It
// fails when a case costs more round trips or commands per request than
// requestBudgets allows (counts, not timings), and logs what it measured.
func TestCommandsPerRequest(t *testing.T) {
	addr, _, _ := privateRedis(t)
	client := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	t.Cleanup(func() { client.Close() })
	stats := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { stats.Close() })
	rt := &rtCounter{}
	client.AddHook(rt)
	m, err := session.New(session.Config{SecretKey: "commands-test", Store: New(client)})
	if err != nil {
		t.Fatal(err)
	}
	cookies := make([]string, 256)
	for i := range cookies {
		cookies[i] = newTestSession(t, m, i%2 == 0)
	}
	cases := []struct {
		name     string
		sessions []string
		workers  int
		h        func(s *session.Session)
	}{
		{"untouched", cookies, 8, func(*session.Session) {}},
		{"read", cookies, 8, func(s *session.Session) { s.Get("_user_id") }},
		{"write", cookies, 8, func(s *session.Session) {
			session.Update(s, "n", func(n int) int { return n + 1 })
		}},
		{"hot", cookies[:1], 32, func(s *session.Session) {
			session.Update(s, "n", func(n int) int { return n + 1 })
		}},
	}
	const requests = 2048
	for _, tc := range cases {
		app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.h(session.From(r)) }))
		serve := func(i int) error {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: "session", Value: tc.sessions[i%len(tc.sessions)]})
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%s: status %d: %s", tc.name, rec.Code, rec.Body)
			}
			return nil
		}
		// Warm up: scripts cached, connections dialled.
		for i := range tc.sessions[:min(len(tc.sessions), 4)] {
			if err := serve(i); err != nil {
				t.Fatal(err)
			}
		}
		before := commandCalls(t, stats)
		rt.reset()
		var (
			next atomic.Int64
			wg   sync.WaitGroup
			errs = make(chan error, tc.workers)
		)
		for w := 0; w < tc.workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < requests; i = int(next.Add(1)) - 1 {
					if err := serve(i); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		trips := float64(rt.calls.Load()) / requests
		cmds := float64(commandCalls(t, stats)-before) / requests
		t.Logf("%-9s %5.2f round trips, %5.2f Redis commands per request", tc.name, trips, cmds)
		if b := requestBudgets[tc.name]; trips > b.roundTrips || cmds > b.commands {
			t.Errorf("%s: %.2f round trips and %.2f commands per request, budget %v and %v", tc.name, trips, cmds, b.roundTrips, b.commands)
		}
	}
	// Every Update(+1) of the write and hot cases was kept.
	want := map[string]int{}
	for i := 0; i < requests; i++ {
		want[cookies[i%len(cookies)]]++
	}
	want[cookies[0]] += requests
	for i := range cookies[:min(len(cookies), 4)] {
		want[cookies[i]]++ // write warm-up
	}
	want[cookies[0]]++ // hot warm-up
	for i, c := range cookies {
		if got := counterOf(t, m, c); got != want[c] {
			t.Errorf("session %d: counter = %d, want %d", i, got, want[c])
		}
	}
}

// newTestSession creates a logged-in session with a small cart and returns
// its cookie value.
func newTestSession(tb testing.TB, m *session.Manager, permanent bool) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.SetPermanent(permanent)
		s.Set("_user_id", "42")
		s.Set("cart", map[string]any{"sku-1": 2, "sku-7": 1})
		s.Set("csrf", "5f2b9c0e7d1a4b3c8e6f0a9d2c4b7e1f")
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, c := range rec.Result().Cookies() {
		return c.Value
	}
	tb.Fatal("no cookie")
	return ""
}

func counterOf(tb testing.TB, m *session.Manager, cookie string) int {
	tb.Helper()
	var n int
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ = session.Get[int](session.From(r), "n")
	})).ServeHTTP(httptest.NewRecorder(), req)
	return n
}

// commandCalls sums the calls in INFO commandstats, leaving out INFO (which
// reads them) and what a new connection sends (HELLO, CLIENT SETINFO):
// that is pool warm-up, not work a request asks for.
func commandCalls(tb testing.TB, c *redis.Client) int64 {
	tb.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") || name == "info" || name == "hello" || strings.HasPrefix(name, "client|") {
			continue
		}
		_, rest, _ = strings.Cut(rest, "calls=")
		n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
		total += n
	}
	return total
}
