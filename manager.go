package session

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/flaskgo/session/seal"
	"github.com/flaskgo/session/signer"
)

// Manager holds a session configuration and provides the middleware. It is
// safe for concurrent use; create one per application.
type Manager struct {
	cfg      Config
	signer   *signer.Signer // signed cookies
	sealer   *seal.Sealer   // encrypted cookies
	idSigner *signer.Signer // server-side ids, Flask-Session style

	commitLocks [64]sync.Mutex // see updateStored
}

// New checks cfg and returns a Manager. Every error wraps ErrConfig.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, 0, 1+len(cfg.FallbackKeys))
	keys = append(keys, []byte(cfg.SecretKey))
	for _, k := range cfg.FallbackKeys {
		keys = append(keys, []byte(k))
	}
	m := &Manager{cfg: cfg}
	switch {
	case cfg.Store != nil:
		if cfg.SignIDs {
			m.idSigner, err = signer.New(signer.Config{Keys: keys, Salt: "flask-session"})
		}
	case cfg.Encrypted:
		// No compression: with attacker-influenced values next to secrets,
		// the token length would leak the secrets (CRIME).
		if m.sealer, err = seal.New(keys); err == nil {
			m.sealer = m.sealer.WithoutCompression()
		}
	default:
		m.signer, err = signer.New(signer.Config{Keys: keys, Salt: cfg.Salt, Digest: cfg.Digest,
			MinCompressLen: max(cfg.MinCompressSize, 0)})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return m, nil
}

// Config returns the configuration in force, defaults filled in.
func (m *Manager) Config() Config { return m.cfg }

type contextKey struct{}

// Handler returns middleware that gives every request a Session (see From)
// and commits it just before the response starts.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &sessionWriter{rw: w}
		s := &sw.s
		s.m = m
		s.outer, _ = r.Context().Value(contextKey{}).(*Session)
		r = r.WithContext(context.WithValue(r.Context(), contextKey{}, s))
		s.req = r
		sw.req = r
		next.ServeHTTP(sw, r)
		sw.commit()
	})
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

// lateChange reports a change made after the commit.
func (m *Manager) lateChange(r *http.Request, key string) {
	err := fmt.Errorf("%w: key %q (the response had already started; the change is lost)", ErrChangedAfterCommit, key)
	m.cfg.Logger.Error("session change lost", "err", err, "path", pathOf(r))
	if m.cfg.OnChangeAfterCommit != nil {
		m.cfg.OnChangeAfterCommit(r, err)
	}
}

// rejected reports an incoming cookie that was not accepted.
func (m *Manager) rejected(r *http.Request, err error) {
	if m.cfg.OnInvalidCookie != nil {
		m.cfg.OnInvalidCookie(r, fmt.Errorf("%w: %w", ErrInvalidCookie, err))
	}
}

// fail answers a request whose session could not be committed.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, err error) {
	if m.cfg.ErrorHandler != nil {
		m.cfg.ErrorHandler(w, r, err)
		return
	}
	m.cfg.Logger.Error("session commit failed", "err", err, "path", pathOf(r))
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

func pathOf(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	return r.URL.Path
}

// addVary adds "Cookie" to the Vary header unless it is already listed.
func addVary(h http.Header) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "*" || strings.EqualFold(f, "Cookie") {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
}
