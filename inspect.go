package session

import (
	"context"
	"fmt"
	"time"
)

// Inspection is what a Manager's keys and settings make of one token (a
// session cookie's value), for inspectors and admin tools.
type Inspection struct {
	// Mode is the Manager's mode, which decided how the token was read.
	Mode Mode
	// Values is the session's content.
	Values map[string]any
	// KeyIndex tells which key verified the token: 0 is Config.SecretKey,
	// i > 0 is Config.FallbackKeys[i-1]. A token verified by a fallback key
	// is re-issued under SecretKey when a request uses it.
	KeyIndex int
	// SignedAt is when a cookie was signed or sealed (cookie modes).
	SignedAt time.Time
	// Expires is when the Manager stops accepting the session as it stands
	// if no request uses it: in cookie modes the signature's age limit
	// (Lifetime) capped by the idle and absolute timeouts, server-side the
	// record's expiry.
	Expires time.Time
	// StoreKey is the store key of a server-side session. The session id
	// itself is not reported: it is a bearer secret.
	StoreKey string
}

// Inspect reads token exactly as a request carrying it in the session
// cookie would, with the Manager's own keys and settings, and reports what
// it holds. It changes nothing: no refresh, no re-issue, no store write.
//
// A rejected token gives an error wrapping ErrInvalidCookie and the reason
// (a signer or seal error, ErrIdleTimeout, ErrUnknownID, ...); a store
// failure gives an error wrapping ErrStore.
func (m *Manager) Inspect(ctx context.Context, token string) (Inspection, error) {
	if token == "" {
		return Inspection{}, fmt.Errorf("%w: empty token", ErrInvalidCookie)
	}
	s := &Session{m: m, ctx: ctx, token: token, tokenRead: true, loaded: true}
	now := m.cfg.Now()
	if err := m.backend.open(ctx, s, token, now); err != nil {
		return Inspection{}, fmt.Errorf("%w: %w", ErrInvalidCookie, err)
	}
	if s.loadErr != nil {
		return Inspection{}, s.loadErr
	}
	in := Inspection{Mode: m.backend.mode(), Values: s.values, KeyIndex: s.keyIndex,
		SignedAt: s.signedAt, StoreKey: s.storeKey, Expires: s.expires}
	if in.Mode != ServerSide {
		in.Expires = m.rules.expiry(s.values, s.signedAt)
	}
	return in, nil
}
