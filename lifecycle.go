package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// What every request goes through, whatever the mode: open on first use,
// commit once.

// open decodes the incoming token into s. Every failure leaves s a fresh,
// empty session; only a store failure is remembered (s.loadErr).
func (m *Manager) open(s *Session) {
	token := s.incoming()
	if token == "" {
		return
	}
	if err := m.backend.open(s.ctx, s, token, m.cfg.Now()); err != nil {
		m.rejected(s.req, err)
	}
}

// commit applies the save rules and writes the resulting cookie into h.
// The middleware calls it once per request.
func (m *Manager) commit(h http.Header, s *Session) error {
	tok, used, err := m.commitToken(nil, s)
	if err != nil {
		return err
	}
	if used {
		addVary(h)
	}
	switch tok.Action {
	case TokenSet:
		h.Add("Set-Cookie", m.cookieHeader(tok.Value, tok.Expires, false))
	case TokenDelete:
		// Flask's deletion cookie.
		h.Add("Set-Cookie", m.cookieHeader("", time.Unix(0, 0), true))
	}
	return nil
}

// commitToken applies the save rules, once: what every mode and every way
// in (middleware or Commit) goes through. used reports that the session
// was used, or refreshed: the response then depends on the token (Vary).
// A nil ctx keeps the session's own.
func (m *Manager) commitToken(ctx context.Context, s *Session) (tok Token, used bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed {
		return Token{}, false, ErrCommitted
	}
	defer s.releaseLock() // after the commit, whatever its outcome
	s.committed = true
	if ctx != nil {
		s.ctx = ctx
	}
	if !s.loaded {
		// Untouched. Flask still re-issues a permanent session on every
		// request; decode only when the token may hold "_permanent".
		if !m.backend.untouchedMayRefresh(s.incoming()) {
			return Token{}, false, nil
		}
		s.load()
		if !s.permanent() {
			return Token{}, false, nil
		}
	}
	tok, err = m.backend.commit(s.ctx, s, m.cfg.Now())
	return tok, true, err
}

// lateChange reports a change made after the commit.
func (m *Manager) lateChange(r *http.Request, key string) {
	err := fmt.Errorf("%w: key %q (the response had already started; the change is lost)", ErrChangedAfterCommit, key)
	m.cfg.Logger.Error("session change lost", "err", err, "path", pathOf(r))
	if m.cfg.OnChangeAfterCommit != nil {
		m.cfg.OnChangeAfterCommit(r, err)
	}
}

// rejected reports an incoming token that was not accepted.
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
	code := http.StatusInternalServerError
	if errors.Is(err, ErrStore) {
		// An outage, most likely passing: tell clients and proxies to retry.
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, http.StatusText(code), code)
}

func pathOf(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	return r.URL.Path
}
