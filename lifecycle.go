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
	var start time.Time
	if m.cfg.Observer != nil {
		start = time.Now()
	}
	err := m.backend.open(s.ctx, s, token, m.cfg.Now())
	s.loadErr = redact(s.loadErr, token)
	if err != nil {
		m.rejected(s.ctx, s.req, redact(err, token))
		return
	}
	if s.hadCookie {
		m.emit(s.ctx, Event{Kind: EventLoaded, Duration: time.Since(start)})
	}
}

// commit applies the save rules and writes the resulting cookie into h.
// The middleware calls it once per request.
func (m *Manager) commit(h http.Header, s *Session) error {
	tok, used, err := m.commitToken(s.ctx, s)
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
func (m *Manager) commitToken(ctx context.Context, s *Session) (tok Token, used bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed {
		return Token{}, false, ErrCommitted
	}
	defer s.releaseLock() // after the commit, whatever its outcome
	s.committed = true
	s.ctx = ctx
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
	var start time.Time
	if m.cfg.Observer != nil {
		start = time.Now()
		if m.spans != nil {
			s.ctx = m.spans.SpanStart(ctx, EventCommitted, "")
		}
	}
	tok, err = m.backend.commit(s.ctx, s, m.cfg.Now())
	err = redact(err, s.id, s.token)
	if m.cfg.Observer != nil {
		d := time.Since(start)
		m.observeCommit(s, tok, err, d)
		if m.spans != nil {
			m.endCommitSpan(s, tok, err, d)
			s.ctx = ctx
		}
	}
	return tok, true, err
}

// endCommitSpan tells the SpanObserver how the commit ended. Callers hold
// s.mu.
func (m *Manager) endCommitSpan(s *Session, tok Token, err error, d time.Duration) {
	e := Event{Kind: EventCommitted, Mode: m.backend.mode(), Op: s.commitOp, Duration: d}
	if err != nil {
		e = Event{Kind: EventCommitFailed, Mode: e.Mode, Reason: reasonOf(err), Duration: d, Err: err}
	} else if s.commitOp == OpCookieWritten {
		e.Size = len(m.cfg.CookieName) + len(tok.Value)
	}
	m.spans.SpanEnd(s.ctx, e)
}

// observeCommit reports what a commit did. Callers hold s.mu.
func (m *Manager) observeCommit(s *Session, tok Token, err error, d time.Duration) {
	if err != nil {
		m.emit(s.ctx, Event{Kind: EventCommitFailed, Reason: reasonOf(err), Duration: d, Err: err})
		return
	}
	switch {
	case s.renew && s.cleared && s.hadCookie:
		m.emit(s.ctx, Event{Kind: EventDestroyed})
	case s.renew && s.hadCookie:
		m.emit(s.ctx, Event{Kind: EventRenewed})
	}
	if tok.Action == TokenSet && (!s.hadCookie || s.renew && s.cleared) {
		m.emit(s.ctx, Event{Kind: EventCreated})
	}
	if s.commitOp != "" {
		e := Event{Kind: EventCommitted, Op: s.commitOp, Duration: d}
		if s.commitOp == OpCookieWritten {
			e.Size = len(m.cfg.CookieName) + len(tok.Value)
		}
		m.emit(s.ctx, e)
	}
}

// lateChange reports a change made after the commit.
func (m *Manager) lateChange(ctx context.Context, r *http.Request, key string) {
	m.reportLost(ctx, r, fmt.Errorf("%w: key %q (the response had already started; the change is lost)", ErrChangedAfterCommit, key))
}

// reportLost logs a lost change and tells the Observer and
// OnChangeAfterCommit.
func (m *Manager) reportLost(ctx context.Context, r *http.Request, err error) {
	m.cfg.Logger.Error("session change lost", "err", err, "path", pathOf(r))
	m.emit(ctx, Event{Kind: EventChangedAfterCommit, Err: err})
	if m.cfg.OnChangeAfterCommit != nil {
		m.cfg.OnChangeAfterCommit(r, err)
	}
}

// lostAround reports a commit whose cookie (or error answer, when cause is
// not nil) could not be sent because the response had been written around
// the session writer.
func (m *Manager) lostAround(ctx context.Context, r *http.Request, cause error) {
	err := fmt.Errorf("%w: the response was written around the session middleware's writer (a framework's own writer, such as gin's c.Writer: use ginsession), so the session cookie could not be sent", ErrChangedAfterCommit)
	if cause != nil {
		err = fmt.Errorf("%w; the commit failed too: %w", err, cause)
	}
	m.reportLost(ctx, r, err)
}

// rejected reports an incoming token that was not accepted.
func (m *Manager) rejected(ctx context.Context, r *http.Request, err error) {
	m.emit(ctx, Event{Kind: EventRejected, Reason: reasonOf(err), Err: err})
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
