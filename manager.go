package session

import (
	"context"
	"fmt"
	"net/http"
)

// Manager holds a session configuration and provides the middleware. It is
// safe for concurrent use; create one per application.
type Manager struct {
	cfg     Config
	rules   *rules
	backend backend      // the mode, decided once by New
	spans   SpanObserver // Config.Observer, when it implements SpanObserver
}

// New checks cfg and returns a Manager. Every error wraps ErrConfig.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg}
	m.rules = &rules{cfg: &m.cfg}
	m.spans, _ = cfg.Observer.(SpanObserver)
	if m.backend, err = newBackend(m.rules); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return m, nil
}

// Mode reports where this Manager keeps sessions.
func (m *Manager) Mode() Mode { return m.backend.mode() }

// CookieName is the name of the session cookie (Config.CookieName).
func (m *Manager) CookieName() string { return m.cfg.CookieName }

type contextKey struct{}

// Handler returns middleware that gives every request a Session (see From)
// and commits it just before the response starts.
//
// It panics when an enclosing Manager's middleware already handles the same
// cookie name: both would send a Set-Cookie for it, and the browser would
// keep one at random. Give each Manager its own CookieName.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &sessionWriter{rw: w}
		s := &sw.s
		s.m = m
		s.outer, _ = r.Context().Value(contextKey{}).(*Session)
		for o := s.outer; o != nil; o = o.outer {
			if o.m.cfg.CookieName == m.cfg.CookieName {
				panic(fmt.Sprintf("session: two nested Managers both handle the cookie %q; give each its own CookieName", m.cfg.CookieName))
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), contextKey{}, s))
		s.req, s.ctx = r, r.Context()
		sw.start()
		defer s.releaseAfterPanic()
		next.ServeHTTP(sw, r)
		if !sw.committed && wroteAround(w) {
			sw.commitAround()
			return
		}
		sw.commit()
	})
}

// wroteAround reports whether the response already started through a writer
// other than the session writer: a framework writer that knows whether it
// wrote (gin's and negroni's have Written) and says it did, while the handler
// never wrote to the writer it was given. Plain net/http writers cannot tell.
func wroteAround(w http.ResponseWriter) bool {
	ww, ok := w.(interface{ Written() bool })
	return ok && ww.Written()
}

// From returns the request's Session from the innermost Manager's middleware.
// It panics if no middleware installed one: that is a wiring mistake, not a
// runtime condition.
func From(r *http.Request) *Session {
	return FromContext(r.Context())
}

// FromContext is From for code that has only the request's context.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(contextKey{}).(*Session)
	if s == nil {
		panic("session: no session in the request context; wrap the handler with Manager.Handler")
	}
	return s
}

// From returns the Session this Manager's middleware installed, for
// applications that nest several managers (say, two cookie names).
func (m *Manager) From(r *http.Request) *Session {
	for s, _ := r.Context().Value(contextKey{}).(*Session); s != nil; s = s.outer {
		if s.m == m {
			return s
		}
	}
	panic("session: this Manager's middleware did not handle the request")
}
