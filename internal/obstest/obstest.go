// Package obstest is the scripted visit that proves the Observer and its
// adapters (promsession, otelsession) count the same thing: Run sends a
// fixed sequence of requests through the real middleware, on memstore and on
// the signed cookie, and Want is what every observer must have counted.
// Each test reads its own observer's output (a recording Observer, a
// Prometheus scrape, an OpenTelemetry reader) into Name keys and compares
// with Want.
//
// It is internal: only this repository's tests import it.
package obstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/memstore"
)

// ModeLabel is the metric label value of a mode, as the adapters write it.
func ModeLabel(m session.Mode) string {
	switch m {
	case session.SignedCookie:
		return "signed_cookie"
	case session.SealedCookie:
		return "sealed_cookie"
	case session.ServerSide:
		return "server_side"
	}
	return "unknown"
}

// Name is the key of one counted series: mode, kind, reason, op and outcome
// joined by "/", empty parts left out.
func Name(mode, kind, reason, op, outcome string) string {
	var parts []string
	for _, p := range []string{mode, kind, reason, op, outcome} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// Want is what Run makes an Observer see, by Name. Store calls are
// reported with the server-side mode.
var Want = map[string]int{
	// server-side, on memstore
	"server_side/created":                       2, // the anonymous cart, bob's log in
	"server_side/loaded":                        4, // log in, read, store back, log out
	"server_side/renewed":                       1,
	"server_side/destroyed":                     1,
	"server_side/committed/record_saved":        4,
	"server_side/committed/record_touched":      1,
	"server_side/committed/record_deleted":      1,
	"server_side/rejected/bad_signature":        1,
	"server_side/rejected/unknown_id":           1,
	"server_side/commit_failed/store_error":     1,
	"server_side/store_call/load/ok":            4,
	"server_side/store_call/load/error":         1,
	"server_side/store_call/load/not_found":     1,
	"server_side/store_call/save_if_version/ok": 4,
	"server_side/store_call/touch/ok":           1,
	"server_side/store_call/delete/ok":          2,
	// signed cookie
	"signed_cookie/created":                  1,
	"signed_cookie/loaded":                   1,
	"signed_cookie/renewed":                  1,
	"signed_cookie/committed/cookie_written": 2,
	"signed_cookie/rejected/bad_signature":   1,
	"signed_cookie/rejected/idle_timeout":    1,
}

// CookieSizes is how many cookie sizes Run reports (OpCookieWritten).
const CookieSizes = 2

// Diff compares counts with Want and describes the differences, "" when
// there are none. Zero counts in got are ignored.
func Diff(got map[string]int) string {
	want := Want
	var out []string
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", k, got[k], want[k]))
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok && got[k] != 0 {
			out = append(out, fmt.Sprintf("%s: got %d, want none", k, got[k]))
		}
	}
	return strings.Join(out, "\n")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Recorder is an Observer that counts events by Name.
type Recorder struct {
	mu     sync.Mutex
	counts map[string]int
}

// SessionEvent counts e.
func (r *Recorder) SessionEvent(_ context.Context, e session.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[Name(ModeLabel(e.Mode), string(e.Kind), string(e.Reason), e.Op, e.Outcome)]++
}

// Counts returns a copy of the counts so far.
func (r *Recorder) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.counts)
}

// FlakyStore is a memstore whose next Load fails once, after FailNextLoad.
type FlakyStore struct {
	*memstore.Store
	fail atomic.Bool
}

// ErrFlaky is the error of the failing Load.
var ErrFlaky = errors.New("obstest: store unavailable (scripted failure)")

// FailNextLoad makes the next Load fail.
func (s *FlakyStore) FailNextLoad() { s.fail.Store(true) }

// Load fails once after FailNextLoad, else loads from memstore.
func (s *FlakyStore) Load(ctx context.Context, key string) (session.Record, error) {
	if s.fail.CompareAndSwap(true, false) {
		return session.Record{}, ErrFlaky
	}
	return s.Store.Load(ctx, key)
}

// IdleTimeout is the scripted managers' idle timeout.
const IdleTimeout = 30 * time.Minute

// Run sends the scripted requests through the middleware of two Managers
// that report to obs: a server-side one on a FlakyStore and a signed-cookie
// one, both on a stopped clock that the script advances. wrap, if not nil,
// wraps every request's handler outside the session middleware (a tracing
// middleware, say). It fails t when a response is not what the script
// expects.
func Run(t testing.TB, obs session.Observer, wrap func(http.Handler) http.Handler) {
	t.Helper()
	clock := testenv.NewClock(time.Unix(1700000000, 0))
	ms := &FlakyStore{Store: memstore.New(memstore.WithClock(clock.Now))}
	t.Cleanup(func() { ms.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := session.Config{
		SecretKey:    "obstest-secret-key",
		Observer:     obs,
		Now:          clock.Now,
		IdleTimeout:  IdleTimeout,
		Logger:       quiet,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusServiceUnavailable) },
	}
	server := cfg
	server.Store, server.SignIDs = ms, true
	v := visitor{t: t, wrap: wrap}
	v.m = mustNew(t, server)

	// Server-side.
	anon := v.step("anonymous cart", "", 200, func(s *session.Session) { s.Set("cart", 1) })
	ann := v.step("log in + renew", anon, 200, func(s *session.Session) { s.Set("_user_id", "ann"); s.Renew() })
	clock.Advance(10 * time.Minute) // the idle timeout's end moves: a touch
	v.step("read", ann, 200, func(s *session.Session) { s.Get("_user_id") })
	v.step("tampered", tamper(ann), 200, func(s *session.Session) { s.Get("_user_id") })
	ms.FailNextLoad()
	v.step("store fails once", ann, 503, func(s *session.Session) { s.Set("cart", 2) })
	v.step("store back", ann, 200, func(s *session.Session) { s.Set("cart", 2) })
	v.step("log out", ann, 200, func(s *session.Session) { s.Destroy() })
	bob := v.step("bob logs in", "", 200, func(s *session.Session) { s.Set("_user_id", "bob") })
	clock.Advance(IdleTimeout + time.Minute)
	v.step("bob's session expired", bob, 200, func(s *session.Session) { s.Get("_user_id") })

	// Signed cookie.
	v.m = mustNew(t, cfg)
	cookie := v.step("cookie log in", "", 200, func(s *session.Session) { s.Set("_user_id", "cat") })
	cookie = v.step("cookie renew", cookie, 200, func(s *session.Session) { s.Get("_user_id"); s.Renew() })
	v.step("cookie tampered", tamper(cookie), 200, func(s *session.Session) { s.Get("_user_id") })
	clock.Advance(IdleTimeout + time.Minute)
	v.step("cookie expired", cookie, 200, func(s *session.Session) { s.Get("_user_id") })
}

func mustNew(t testing.TB, cfg session.Config) *session.Manager {
	t.Helper()
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tamper changes the next-to-last character of a cookie value (the
// signature's). Not the last: its low bits are base64 padding, which
// decoders ignore, so some changes there leave the signature as it was.
func tamper(v string) string {
	i := len(v) - 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

type visitor struct {
	t    testing.TB
	m    *session.Manager
	wrap func(http.Handler) http.Handler
}

// step sends one request with the session cookie value cookie ("" for
// none), checks the status, and returns the cookie the response set (or
// cookie, when it set none).
func (v visitor) step(name, cookie string, status int, h func(s *session.Session)) string {
	v.t.Helper()
	var handler http.Handler = v.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(session.From(r))
	}))
	if v.wrap != nil {
		handler = v.wrap(handler)
	}
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", v.m.CookieName()+"="+cookie)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != status {
		v.t.Fatalf("%s: status %d, want %d", name, rec.Code, status)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == v.m.CookieName() {
			return c.Value
		}
	}
	return cookie
}
