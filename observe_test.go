package session_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/obstest"
	"github.com/flaskgo/session/memstore"
)

// recorder is an Observer that counts events by kind, reason and op.
type recorder struct {
	mu     sync.Mutex
	counts map[string]int
}

func (r *recorder) SessionEvent(_ context.Context, e session.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	name := string(e.Kind)
	for _, part := range []string{string(e.Reason), e.Op, e.Outcome} {
		if part != "" {
			name += "/" + part
		}
	}
	r.counts[name]++
}

// take returns the counts so far, sorted, and resets them.
func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k, v := range r.counts {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	r.counts = nil
	return strings.Join(out, " ")
}

// stepper returns a function that runs one request through m with cookie
// ("" for none), checks the events rec saw (sorted "kind/reason/op=count"),
// and returns the session cookie the response set.
func stepper(t *testing.T, m *session.Manager, rec *recorder) func(name, cookie string, h func(s *session.Session), want string) string {
	return func(name, cookie string, h func(s *session.Session), want string) string {
		t.Helper()
		out, _ := sessionCookie(t, serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
			if h != nil {
				h(session.From(r))
			}
		}), "session")
		if got := rec.take(); got != want {
			t.Errorf("%s: events\n got %s\nwant %s", name, got, want)
		}
		return out
	}
}

func TestObserverCookieMode(t *testing.T) {
	rec := &recorder{}
	c := newClock()
	m := newManager(t, session.Config{Observer: rec, Now: c.Now, IdleTimeout: time.Hour})
	step := stepper(t, m, rec)
	cookie := step("log in", "", func(s *session.Session) { s.Set("_user_id", "ann") },
		"committed/cookie_written=1 created=1")
	step("untouched", cookie, nil, "")
	cookie = step("read", cookie, func(s *session.Session) { s.Get("_user_id") },
		"committed/cookie_written=1 loaded=1") // the idle timeout re-signs
	cookie = step("renew", cookie, func(s *session.Session) { s.Renew() },
		"committed/cookie_written=1 loaded=1 renewed=1")
	step("tampered", cookie[:len(cookie)-2]+"xx", func(s *session.Session) { s.Get("a") },
		"rejected/bad_signature=1")
	c.Advance(2 * time.Hour)
	step("idle", cookie, func(s *session.Session) { s.Get("a") }, "rejected/idle_timeout=1")
	step("big", "", func(s *session.Session) { s.Set("big", incompressible(5000)) },
		"commit_failed/too_large=1")
	serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("a", 1)
		w.Write([]byte("the response started: the session is committed"))
		s.Set("b", 2) // lost
	})
	if got, want := rec.take(), "changed_after_commit=1 committed/cookie_written=1 created=1"; got != want {
		t.Errorf("late change: events\n got %s\nwant %s", got, want)
	}
	step("malformed", "no-dots", func(s *session.Session) { s.Get("a") }, "rejected/malformed=1")
}

func TestObserverServerSide(t *testing.T) {
	rec := &recorder{}
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Observer: rec, Store: ms})
	step := stepper(t, m, rec)
	cookie := step("log in", "", func(s *session.Session) { s.Set("_user_id", "ann") },
		"committed/record_saved=1 created=1 store_call/save_if_version/ok=1")
	step("write", cookie, func(s *session.Session) { s.Set("cart", 1) },
		"committed/record_saved=1 loaded=1 store_call/load/ok=1 store_call/save_if_version/ok=1")
	renewed := step("renew", cookie, func(s *session.Session) { s.Renew() },
		"committed/record_saved=1 loaded=1 renewed=1 store_call/delete/ok=1 store_call/load/ok=1 store_call/save_if_version/ok=1")
	step("old id", cookie, func(s *session.Session) { s.Get("a") },
		"rejected/unknown_id=1 store_call/load/not_found=1")
	broken := newManager(t, session.Config{Observer: rec, Store: failingStore{ms}, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {}})
	serve(t, broken, renewed, func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("x", 1) })
	if got, want := rec.take(), "commit_failed/store_error=1 store_call/load/error=1"; got != want {
		t.Errorf("store outage: events\n got %s\nwant %s", got, want)
	}
	step("log out", renewed, func(s *session.Session) { s.Destroy() },
		"committed/record_deleted=1 destroyed=1 loaded=1 store_call/delete/ok=1 store_call/load/ok=1")
}

func TestObserverRejectionReasons(t *testing.T) {
	rec := &recorder{}
	c := newClock()
	now := c.Now()
	signed := newManager(t, session.Config{Observer: rec, Now: c.Now, AbsoluteTimeout: time.Hour})
	sealedOld := newManager(t, session.Config{SecretKey: strongKey + "-old", Encrypted: true, Now: c.Now})
	sealed := newManager(t, session.Config{SecretKey: strongKey, Encrypted: true, Observer: rec, Now: c.Now})
	oldSealed, _ := sessionCookie(t, serve(t, sealedOld, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) }), "session")
	cases := []struct {
		m      *session.Manager
		cookie string
		want   string
	}{
		{signed, signWith(t, testKey, `{"a":1}`, now.Add(-32*24*time.Hour)), "rejected/expired=1"},
		{signed, signWith(t, testKey, `{"a":1}`, now.Add(time.Hour)), "rejected/future_timestamp=1"},
		{signed, signWith(t, testKey, fmt.Sprintf(`{"_created":%d}`, now.Add(-2*time.Hour).Unix()), now), "rejected/absolute_timeout=1"},
		{signed, signWith(t, testKey, `not json`, now), "rejected/malformed=1"},
		{sealed, oldSealed, "rejected/unknown_key=1"},
	}
	for _, tc := range cases {
		serve(t, tc.m, tc.cookie, func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("a") })
		if got := rec.take(); got != tc.want {
			t.Errorf("cookie %.20q: events %s, want %s", tc.cookie, got, tc.want)
		}
	}
}

// TestObserverScript runs the scripted visit shared with the promsession
// and otelsession tests and checks every count.
func TestObserverScript(t *testing.T) {
	rec := &obstest.Recorder{}
	obstest.Run(t, rec, nil)
	if d := obstest.Diff(rec.Counts()); d != "" {
		t.Errorf("events differ from obstest.Want:\n%s\ngot %v", d, rec.Counts())
	}
}
