package session

import (
	"context"
	"fmt"
	"time"

	"github.com/flaskgo/session/seal"
	"github.com/flaskgo/session/signer"
)

// Mode is where a Manager keeps sessions. It is decided once, by New, from
// Config.Store and Config.Encrypted.
type Mode int

const (
	// SignedCookie keeps the session in a cookie signed like Flask's: the
	// client can read it but not change it. The default.
	SignedCookie Mode = iota + 1
	// SealedCookie keeps the session in an AES-256-GCM sealed cookie
	// (Config.Encrypted): the client can neither read nor change it.
	SealedCookie
	// ServerSide keeps the session in Config.Store; the cookie carries only a
	// random session id (Config.Store).
	ServerSide
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case SignedCookie:
		return "signed cookie"
	case SealedCookie:
		return "sealed cookie"
	case ServerSide:
		return "server-side"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// backend is one way of keeping sessions. The Manager picks one in New;
// nothing else in the package asks which mode is in force.
type backend interface {
	mode() Mode
	// open fills s from token, the non-empty incoming cookie (or header)
	// value. A returned error rejects the token: s stays a fresh, empty
	// session. A store failure is not a rejection: it is kept in s.loadErr,
	// so that the commit fails instead of wiping the stored session.
	open(ctx context.Context, s *Session, token string, now time.Time) error
	// commit applies the save rules to a used session and says what the
	// client must be sent. s.mu is held.
	commit(ctx context.Context, s *Session, now time.Time) (Token, error)
	// untouchedMayRefresh reports whether a request that never used its
	// session could still owe the client a refreshed cookie (a permanent
	// signed cookie, Flask's rule), so that the commit must decode it.
	untouchedMayRefresh(token string) bool
}

// newBackend builds the backend for r.cfg (defaults already applied).
func newBackend(r *rules) (backend, error) {
	cfg := r.cfg
	keys := make([][]byte, 0, 1+len(cfg.FallbackKeys))
	keys = append(keys, []byte(cfg.SecretKey))
	for _, k := range cfg.FallbackKeys {
		keys = append(keys, []byte(k))
	}
	switch {
	case cfg.Store != nil:
		return newServerBackend(r, keys)
	case cfg.Encrypted:
		s, err := seal.New(keys)
		if err != nil {
			return nil, err
		}
		// Bind tokens to the cookie name: a sealed value cannot be replayed
		// into another Manager's cookie that shares the key.
		return &cookieBackend{rules: r, codec: sealedCodec{s.WithPurpose("flaskgo/session cookie " + cfg.CookieName)}, rev: newRevocations(r)}, nil
	default:
		s, err := signer.New(signer.Config{Keys: keys, Salt: cfg.Salt, Digest: cfg.Digest,
			MinCompressLen: max(cfg.MinCompressSize, 0)})
		if err != nil {
			return nil, err
		}
		return &cookieBackend{rules: r, codec: signedCodec{s}, rev: newRevocations(r)}, nil
	}
}
