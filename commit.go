package session

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

// open decodes the incoming cookie into s. Every failure leaves s as a fresh,
// empty session; only a store failure is remembered (s.loadErr).
func (m *Manager) open(s *Session) {
	value := cookieValue(s.req, m.cfg.CookieName)
	if value == "" {
		return
	}
	now := m.cfg.Now()
	var err error
	if m.cfg.Store != nil {
		err = m.openStored(s, value, now)
	} else {
		err = m.openCookie(s, value, now)
	}
	if err != nil {
		m.rejected(s.req, err)
	}
}

// openCookie reads a signed or sealed cookie.
func (m *Manager) openCookie(s *Session, value string, now time.Time) error {
	var (
		payload  []byte
		signedAt time.Time
		keyIndex int
		err      error
	)
	if m.sealer != nil {
		payload, signedAt, keyIndex, err = m.sealer.Open(value, now)
	} else {
		payload, signedAt, keyIndex, err = m.signer.Decode(value, m.cfg.Lifetime, now)
	}
	if err != nil {
		return err
	}
	values, err := taggedjson.Unmarshal(payload)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if m.cfg.IdleTimeout > 0 && now.Sub(signedAt) > m.cfg.IdleTimeout {
		return fmt.Errorf("%w: last used %v ago", ErrIdleTimeout, now.Sub(signedAt).Truncate(time.Second))
	}
	if err := m.checkCreated(values, now); err != nil {
		return err
	}
	s.values = values
	s.hadCookie = true
	s.signedAt = signedAt
	s.keyIndex = keyIndex
	return nil
}

// checkCreated enforces Config.AbsoluteTimeout.
func (m *Manager) checkCreated(values map[string]any, now time.Time) error {
	if m.cfg.AbsoluteTimeout <= 0 {
		return nil
	}
	created, ok := createdAt(values)
	if ok && now.Sub(created) > m.cfg.AbsoluteTimeout {
		return fmt.Errorf("%w: created %v ago", ErrAbsoluteTimeout, now.Sub(created).Truncate(time.Second))
	}
	return nil
}

func createdAt(values map[string]any) (time.Time, bool) {
	n, ok := toBigInt(values[KeyCreated])
	if !ok || !n.IsInt64() {
		return time.Time{}, false
	}
	return time.Unix(n.Int64(), 0), true
}

// stampCreated records the creation time when an absolute timeout applies.
func (m *Manager) stampCreated(s *Session, now time.Time) {
	if m.cfg.AbsoluteTimeout <= 0 {
		return
	}
	if _, ok := createdAt(s.values); !ok {
		s.values[KeyCreated] = now.Unix()
	}
}

// expiry is when a session written now must end: Lifetime from now, capped by
// the idle and absolute timeouts.
func (m *Manager) expiry(s *Session, now time.Time) time.Time {
	exp := now.Add(m.cfg.Lifetime)
	if m.cfg.IdleTimeout > 0 {
		if t := now.Add(m.cfg.IdleTimeout); t.Before(exp) {
			exp = t
		}
	}
	if m.cfg.AbsoluteTimeout > 0 {
		if c, ok := createdAt(s.values); ok {
			if t := c.Add(m.cfg.AbsoluteTimeout); t.Before(exp) {
				exp = t
			}
		}
	}
	return exp
}

// cookieExpiry is the Expires attribute: only permanent sessions have one.
func (m *Manager) cookieExpiry(s *Session, now time.Time) time.Time {
	if !s.permanent() {
		return time.Time{}
	}
	return m.expiry(s, now)
}

// mayBePermanent peeks at the unverified payload of a signed cookie: one
// without the text "_permanent" cannot be permanent, and is left alone.
func (m *Manager) mayBePermanent(r *http.Request) bool {
	value := cookieValue(r, m.cfg.CookieName)
	if value == "" {
		return false
	}
	if m.signer == nil || value[0] == '.' {
		return true // sealed or compressed: only a full decode can tell
	}
	payload, _, _ := strings.Cut(value, ".")
	var buf [768]byte
	if base64.RawURLEncoding.DecodedLen(len(payload)) > len(buf) {
		return true
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(payload))
	return err != nil || bytes.Contains(buf[:n], []byte(KeyPermanent))
}

func (s *Session) permanent() bool {
	b, _ := s.values[KeyPermanent].(bool)
	return b
}

// commit applies Flask's save_session rules. It runs once per request.
func (m *Manager) commit(h http.Header, s *Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed = true
	if !s.loaded {
		// Untouched. Flask still re-issues a permanent session on every
		// request; decode only when the cookie may hold "_permanent".
		if m.cfg.Store != nil || m.cfg.DisableRefresh || !m.mayBePermanent(s.req) {
			return nil
		}
		s.load()
		if !s.permanent() {
			return nil
		}
	}
	addVary(h)
	if m.cfg.Store != nil {
		return m.commitStored(h, s)
	}
	return m.commitCookie(h, s)
}

func (m *Manager) commitCookie(h http.Header, s *Session) error {
	if s.empty(false) {
		if s.modified {
			m.deleteCookie(h)
		}
		return nil
	}
	refresh := s.permanent() && !m.cfg.DisableRefresh
	if !s.modified && !refresh && s.keyIndex == 0 && m.cfg.IdleTimeout == 0 {
		return nil
	}
	now := m.cfg.Now()
	m.stampCreated(s, now)
	payload, err := taggedjson.Marshal(s.values)
	if err != nil {
		return fmt.Errorf("session: cannot encode the session: %w", err)
	}
	var value string
	if m.sealer != nil {
		value = m.sealer.Seal(payload, now, m.expiry(s, now))
	} else {
		value = m.signer.Encode(payload, now)
	}
	if size := len(m.cfg.CookieName) + len(value); size > m.cfg.MaxCookieSize {
		return &CookieTooLargeError{Name: m.cfg.CookieName, Size: size, Limit: m.cfg.MaxCookieSize}
	}
	m.setCookie(h, value, m.cookieExpiry(s, now))
	return nil
}

// userIDOf returns the owner recorded for the user index.
func (m *Manager) userIDOf(values map[string]any) string {
	switch v := values[m.cfg.UserIDKey].(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return big.NewInt(v).String()
	default:
		return fmt.Sprint(v)
	}
}
