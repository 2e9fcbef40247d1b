package session_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

type spanKey struct{}

// spanLog is a SpanObserver that writes down every start and end, with the
// span each ran in (the context's spanKey), as "start commit in=-" or
// "end store_call/load in=commit".
type spanLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *spanLog) SessionEvent(ctx context.Context, e session.Event) {
	if e.Kind == session.EventStoreCall || e.Kind == session.EventCommitted {
		l.add("event " + name(e) + " in=" + spanOf(ctx))
	}
}

func (l *spanLog) SpanStart(ctx context.Context, kind session.EventKind, op string) context.Context {
	n := string(kind)
	if op != "" {
		n += "/" + op
	}
	l.add("start " + n + " in=" + spanOf(ctx))
	return context.WithValue(ctx, spanKey{}, n)
}

func (l *spanLog) SpanEnd(ctx context.Context, e session.Event) {
	l.add("end " + name(e) + " in=" + spanOf(ctx))
}

func (l *spanLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *spanLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	l.lines = nil
	return s
}

func name(e session.Event) string {
	n := string(e.Kind)
	for _, p := range []string{string(e.Reason), e.Op, e.Outcome} {
		if p != "" {
			n += "/" + p
		}
	}
	return n
}

func spanOf(ctx context.Context) string {
	if s, ok := ctx.Value(spanKey{}).(string); ok {
		return s
	}
	return "-"
}

// A SpanObserver brackets each commit and store call; the store calls a
// commit makes, and the events it reports, run inside the commit's span;
// every start has exactly one end.
func TestSpanObserver(t *testing.T) {
	log := &spanLog{}
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Observer: log, Store: ms})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) })
	cookie, _ := sessionCookie(t, rec, "session")
	steps := []struct {
		name   string
		m      *session.Manager
		cookie string
		h      func(s *session.Session)
		want   []string
	}{
		{"write", m, cookie, func(s *session.Session) { s.Set("a", 2) }, []string{
			"start store_call/load in=-", "event store_call/load/ok in=store_call/load", "end store_call/load/ok in=store_call/load",
			"start committed in=-",
			"start store_call/save_if_version in=committed", "event store_call/save_if_version/ok in=store_call/save_if_version", "end store_call/save_if_version/ok in=store_call/save_if_version",
			"event committed/record_saved in=committed", "end committed/record_saved in=committed",
		}},
		{"read, nothing to write", m, cookie, func(s *session.Session) { s.Get("a") }, []string{
			"start store_call/load in=-", "event store_call/load/ok in=store_call/load", "end store_call/load/ok in=store_call/load",
			"start committed in=-", "end committed in=committed",
		}},
		{"untouched: no commit", m, cookie, func(s *session.Session) {}, nil},
		{"store down", newManager(t, session.Config{Observer: log, Store: failingStore{ms}, ErrorHandler: func(http.ResponseWriter, *http.Request, error) {}}),
			cookie, func(s *session.Session) { s.Set("a", 3) }, []string{
				"start store_call/load in=-", "event store_call/load/error in=store_call/load", "end store_call/load/error in=store_call/load",
				"start committed in=-", "end commit_failed/store_error in=committed",
			}},
	}
	log.take()
	for _, tc := range steps {
		serve(t, tc.m, tc.cookie, func(w http.ResponseWriter, r *http.Request) { tc.h(session.From(r)) })
		if got, want := log.take(), strings.Join(tc.want, "\n"); got != want {
			t.Errorf("%s:\n got\n%s\nwant\n%s", tc.name, got, want)
		}
	}
}

// A cookie-mode commit is bracketed too, and its end carries the size.
func TestSpanObserverCookie(t *testing.T) {
	var ends []session.Event
	obs := spanFuncs{end: func(e session.Event) { ends = append(ends, e) }}
	m := newManager(t, session.Config{Observer: obs})
	serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) })
	if len(ends) != 1 || ends[0].Kind != session.EventCommitted || ends[0].Op != session.OpCookieWritten || ends[0].Size == 0 || ends[0].Mode != session.SignedCookie {
		t.Fatalf("ends = %+v, want one committed/cookie_written with a size", ends)
	}
}

type spanFuncs struct{ end func(session.Event) }

func (spanFuncs) SessionEvent(context.Context, session.Event) {}
func (spanFuncs) SpanStart(ctx context.Context, _ session.EventKind, _ string) context.Context {
	return ctx
}
func (f spanFuncs) SpanEnd(_ context.Context, e session.Event) { f.end(e) }
