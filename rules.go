package session

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// rules are the save rules every mode shares: Flask's emptiness, expiry
// and refresh rules, and the timeouts. They are decided here once.
type rules struct {
	cfg *Config
}

// empty reports whether values hold nothing worth keeping. Flask keeps a
// cookie holding only "_permanent"; Flask-Session stores no such record, so
// server-side modes ignore the flag.
func (r *rules) empty(values map[string]any, ignorePermanent bool) bool {
	for k := range values {
		if hidden(k) || (ignorePermanent && k == KeyPermanent) {
			continue
		}
		return false
	}
	return true
}

// refresh decides what the use of an unchanged session renews. resend: the
// cookie is sent again with a new expiry — a permanent session, unless
// DisableRefresh (Flask's SESSION_REFRESH_EACH_REQUEST). extend: the end of
// the session moves — always under an idle timeout, and for a server-side
// record also whenever refresh is on (a cookie session's end is its
// signature, which only a resend moves).
func (r *rules) refresh(permanent, serverSide bool) (resend, extend bool) {
	resend = permanent && !r.cfg.DisableRefresh
	extend = r.cfg.IdleTimeout > 0 || (serverSide && !r.cfg.DisableRefresh)
	return resend, extend
}

// expiry is when a session written at now must end: Lifetime from now,
// capped by the idle and absolute timeouts.
func (r *rules) expiry(values map[string]any, now time.Time) time.Time {
	exp := now.Add(r.cfg.Lifetime)
	if r.cfg.IdleTimeout > 0 {
		if t := now.Add(r.cfg.IdleTimeout); t.Before(exp) {
			exp = t
		}
	}
	if r.cfg.AbsoluteTimeout > 0 {
		if c, ok := createdAt(values); ok {
			if t := c.Add(r.cfg.AbsoluteTimeout); t.Before(exp) {
				exp = t
			}
		}
	}
	return exp
}

// cookieExpiry is the cookie's Expires attribute: only permanent sessions
// have one.
func (r *rules) cookieExpiry(values map[string]any, now time.Time) time.Time {
	if !isPermanent(values) {
		return time.Time{}
	}
	return r.expiry(values, now)
}

// checkIdle enforces Config.IdleTimeout on a session last written at last.
func (r *rules) checkIdle(last, now time.Time) error {
	if r.cfg.IdleTimeout > 0 && now.Sub(last) > r.cfg.IdleTimeout {
		return fmt.Errorf("%w: last used %v ago", ErrIdleTimeout, now.Sub(last).Truncate(time.Second))
	}
	return nil
}

// checkCreated enforces Config.AbsoluteTimeout.
func (r *rules) checkCreated(values map[string]any, now time.Time) error {
	if r.cfg.AbsoluteTimeout <= 0 {
		return nil
	}
	created, ok := createdAt(values)
	if ok && now.Sub(created) > r.cfg.AbsoluteTimeout {
		return fmt.Errorf("%w: created %v ago", ErrAbsoluteTimeout, now.Sub(created).Truncate(time.Second))
	}
	return nil
}

// stampDefaults gives a session about to be written what the Config says
// every session has: its creation time when an absolute timeout applies,
// and permanence under Config.Permanent unless the session says otherwise.
func (r *rules) stampDefaults(values map[string]any, now time.Time) {
	if r.cfg.Permanent {
		if _, ok := values[KeyPermanent]; !ok {
			values[KeyPermanent] = true
		}
	}
	if r.cfg.AbsoluteTimeout <= 0 {
		return
	}
	if _, ok := createdAt(values); !ok {
		values[KeyCreated] = now.Unix()
	}
}

// userIDOf returns the owner recorded for the user index.
func (r *rules) userIDOf(values map[string]any) string {
	switch v := values[r.cfg.UserIDKey].(type) {
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

func createdAt(values map[string]any) (time.Time, bool) {
	n, ok := toBigInt(values[KeyCreated])
	if !ok || !n.IsInt64() {
		return time.Time{}, false
	}
	return time.Unix(n.Int64(), 0), true
}

func isPermanent(values map[string]any) bool {
	b, _ := values[KeyPermanent].(bool)
	return b
}

// addVary adds "Cookie" to the Vary header unless it is already listed: the
// response of a request that used its session depends on the cookie.
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
