package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

// privateRedis starts a redis-server of its own on a free loopback port, so
// the test can stop it without disturbing anything else.
func privateRedis(t *testing.T) (addr string, stop, start func()) {
	t.Helper()
	bin, err := osexec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server binary not found")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var cmd *osexec.Cmd
	start = func() {
		cmd = osexec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("private redis-server on %s did not start", addr)
	}
	stop = func() {
		if cmd != nil && cmd.Process != nil {
			cmd.Process.Kill()
			cmd.Wait()
			cmd = nil
		}
	}
	start()
	t.Cleanup(stop)
	return addr, stop, start
}

// TestOutageThroughMiddleware stops Redis under a running app: requests get
// the application's error response (never a panic, never a silently emptied
// session), and once Redis is back the same app serves requests again.
func TestOutageThroughMiddleware(t *testing.T) {
	addr, stop, start := privateRedis(t)
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	var handled []error
	m, err := session.New(session.Config{SecretKey: "outage-test", Store: New(client),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			handled = append(handled, err)
			http.Error(w, "sessions are unavailable, try again", http.StatusServiceUnavailable)
		}})
	if err != nil {
		t.Fatal(err)
	}
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		n, _ := session.Get[int](s, "n")
		s.Set("n", n+1)
		fmt.Fprint(w, n+1)
	}))
	do := func(cookie string) (*httptest.ResponseRecorder, string) {
		req := httptest.NewRequest("GET", "/", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			cookie = c.Value
		}
		return rec, cookie
	}

	rec, cookie := do("")
	if rec.Code != 200 || cookie == "" {
		t.Fatalf("before the outage: %d %q", rec.Code, rec.Body)
	}
	stop()
	for i := 0; i < 3; i++ {
		rec, _ = do(cookie)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: status %d, body %q", rec.Code, rec.Body)
		}
	}
	if len(handled) != 3 || !errors.Is(handled[0], session.ErrStore) {
		t.Fatalf("error handler saw %v, want 3 errors wrapping ErrStore", handled)
	}
	// New visitors fail too (no half-created sessions).
	if rec, _ := do(""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("new visitor during the outage: %d", rec.Code)
	}

	start() // an empty Redis: the old session is gone, which must not be an error
	var body string
	for i := 0; i < 50; i++ { // the pool notices the new server on its own
		rec, cookie = do(cookie)
		if rec.Code == 200 {
			body = rec.Body.String()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body != "1" {
		t.Fatalf("after Redis came back: status %d body %q", rec.Code, rec.Body)
	}
	if rec, _ = do(cookie); rec.Body.String() != "2" {
		t.Errorf("session not kept after recovery: %q", rec.Body)
	}
}

// TestPausedRedisKeepsData freezes Redis (SIGSTOP) instead of killing it:
// requests time out into the error handler, and after SIGCONT the session
// is intact: nothing was overwritten with an empty session meanwhile.
func TestPausedRedisKeepsData(t *testing.T) {
	addr, _, _ := privateRedis(t)
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	m, err := session.New(session.Config{SecretKey: "pause-test", Store: New(client)})
	if err != nil {
		t.Fatal(err)
	}
	pid := redisPID(t, client)
	var cookie string
	var statuses []int
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		n, _ := session.Get[int](s, "n")
		s.Set("n", n+1)
		fmt.Fprint(w, n+1)
	}))
	do := func() string {
		req := httptest.NewRequest("GET", "/", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			cookie = c.Value
		}
		statuses = append(statuses, rec.Code)
		return rec.Body.String()
	}
	do()
	do()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	do()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	var got string
	for i := 0; i < 20 && got != "3"; i++ {
		got = do()
	}
	// The default error handler answers a store failure with 503 (it was 500
	// before Config.StoreTimeout and the 503 default).
	if got != "3" || statuses[2] != http.StatusServiceUnavailable {
		t.Errorf("statuses %v, last body %q: want a 503 while paused, then the count to go on at 3", statuses, got)
	}
}

func redisPID(t *testing.T, c *redis.Client) int {
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			if p, err := os.FindProcess(pid); err == nil && p != nil {
				return pid
			}
		}
	}
	t.Fatal("no process_id in INFO server")
	return 0
}

// BenchmarkMiddleware measures whole requests through the middleware on a
// private Redis and reports the network round trips each request cost, and
// the Redis commands the server ran for it (INFO commandstats, which also
// counts the commands inside Lua scripts).
func BenchmarkMiddleware(b *testing.B) {
	if _, err := osexec.LookPath("redis-server"); err != nil {
		b.Skip("redis-server not installed")
	}
	cases := []struct {
		name string
		h    func(s *session.Session)
	}{
		{"untouched", nil},
		{"read", func(s *session.Session) { s.Get("_user_id") }},
		{"write", func(s *session.Session) { s.Set("theme", "light") }},
	}
	for _, permanent := range []bool{false, true} {
		for _, tc := range cases {
			b.Run(fmt.Sprintf("%s/permanent=%v", tc.name, permanent), func(b *testing.B) {
				addr := benchRedis(b)
				client := redis.NewClient(&redis.Options{Addr: addr})
				defer client.Close()
				rt := &rtCounter{}
				client.AddHook(rt)
				m, err := session.New(session.Config{SecretKey: "bench", Store: New(client)})
				if err != nil {
					b.Fatal(err)
				}
				cookie := newBenchSession(b, m, permanent)
				h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tc.h != nil {
						tc.h(session.From(r))
					}
				}))
				req := httptest.NewRequest("GET", "/", nil)
				req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
				before := commandCalls(b, client)
				rt.reset()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
				b.StopTimer()
				b.ReportMetric(float64(rt.writes.Load())/float64(b.N), "round-trips/op")
				b.ReportMetric(float64(commandCalls(b, client)-before)/float64(b.N), "redis-cmds/op")
			})
		}
	}
}

// BenchmarkHotSession is one session written by 32 goroutines per core at
// once, each adding one to a counter with Update: the round trips and Redis
// commands per request show what write coalescing saves, and the counter
// must end at exactly b.N.
func BenchmarkHotSession(b *testing.B) {
	if _, err := osexec.LookPath("redis-server"); err != nil {
		b.Skip("redis-server not installed")
	}
	addr := benchRedis(b)
	client := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	defer client.Close()
	rt := &rtCounter{}
	client.AddHook(rt)
	m, err := session.New(session.Config{SecretKey: "bench", Store: New(client)})
	if err != nil {
		b.Fatal(err)
	}
	cookie := newBenchSession(b, m, false)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session.Update(session.From(r), "n", func(n int) int { return n + 1 })
	}))
	before := commandCalls(b, client)
	rt.reset()
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
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
	b.ReportMetric(float64(rt.writes.Load())/float64(b.N), "round-trips/op")
	b.ReportMetric(float64(commandCalls(b, client)-before)/float64(b.N), "redis-cmds/op")
	rec := httptest.NewRecorder()
	var got int
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = session.Get[int](session.From(r), "n")
	})).ServeHTTP(rec, func() *http.Request {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
		return req
	}())
	if got != b.N {
		b.Errorf("counter = %d after %d Update(+1) requests", got, b.N)
	}
}

func newBenchSession(b *testing.B, m *session.Manager, permanent bool) string {
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
	b.Fatal("no cookie")
	return ""
}

// benchRedis starts a private redis-server for one benchmark.
func benchRedis(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := osexec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", b.TempDir())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("redis-server did not start")
	return ""
}
