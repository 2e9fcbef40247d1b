package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flaskgo/session/seal"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// cookieBackend keeps the whole session in the cookie, as Flask's
// SecureCookieSessionInterface does. Its codec is the signed (Flask) or the
// sealed format.
type cookieBackend struct {
	*rules
	codec cookieCodec
	rev   *revocations // nil unless Config.Revocations
}

// cookieCodec turns a session payload into a cookie value and back.
type cookieCodec interface {
	mode() Mode
	// decode verifies value and returns its payload, when it was made and
	// which key verified it (0 = Config.SecretKey).
	decode(value string, maxAge time.Duration, now time.Time) (payload []byte, madeAt time.Time, keyIndex int, err error)
	encode(payload []byte, now, expires time.Time) string
	// mayContain is false only when value's payload certainly lacks text,
	// found with bounded work on the unverified value.
	mayContain(value, text string) bool
}

func (b *cookieBackend) mode() Mode { return b.codec.mode() }

func (b *cookieBackend) open(ctx context.Context, s *Session, token string, now time.Time) error {
	payload, madeAt, keyIndex, err := b.codec.decode(token, b.cfg.Lifetime, now)
	if err != nil {
		return err
	}
	values, err := taggedjson.Unmarshal(payload)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if err := b.checkIdle(madeAt, now); err != nil {
		return err
	}
	if err := b.checkCreated(values, now); err != nil {
		return err
	}
	if b.rev != nil {
		if err := b.rev.check(ctx, values, madeAt); errors.Is(err, ErrStore) {
			s.loadErr = err // fail closed, and loudly: the commit fails too
			return nil
		} else if err != nil {
			return err
		}
		s.revokeSID, _ = values[KeySessionID].(string)
		s.revokeUID = b.userIDOf(values)
	}
	s.values = values
	s.hadCookie = true
	s.signedAt = madeAt
	s.keyIndex = keyIndex
	return nil
}

func (b *cookieBackend) untouchedMayRefresh(token string) bool {
	return !b.cfg.DisableRefresh && b.codec.mayContain(token, KeyPermanent)
}

// commit is Flask's save_session: delete the cookie of a session emptied on
// this request, and (re)issue it when modified, refreshed, verified by a
// fallback key or kept alive by an idle timeout.
func (b *cookieBackend) commit(ctx context.Context, s *Session, now time.Time) (Token, error) {
	if s.loadErr != nil {
		return Token{}, s.loadErr
	}
	if b.rev != nil && s.renew && s.hadCookie {
		// Renew and Destroy retire the incoming cookie and every copy of it.
		if err := b.rev.revokeSession(detach(ctx), s.revokeSID, s.revokeUID, now); err != nil {
			return Token{}, err
		}
	}
	if b.empty(s.values, false) {
		if s.modified() {
			s.commitOp = OpCookieDeleted
			return Token{Action: TokenDelete}, nil
		}
		return Token{}, nil
	}
	resend, extend := b.refresh(s.permanent(), false)
	if !s.modified() && !resend && !extend && s.keyIndex == 0 {
		return Token{}, nil
	}
	b.stampDefaults(s.values, now)
	if _, ok := s.values[KeySessionID]; b.rev != nil && (!ok || s.renew) {
		s.values[KeySessionID] = s.nextSID
		if s.nextSID == "" {
			s.values[KeySessionID] = newSessionID()
		}
	}
	payload, err := taggedjson.Marshal(s.values)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %w", errEncode, err)
	}
	value := b.codec.encode(payload, now, b.expiry(s.values, now))
	if size := len(b.cfg.CookieName) + len(value); size > b.cfg.MaxCookieSize {
		return Token{}, &CookieTooLargeError{Name: b.cfg.CookieName, Size: size, Limit: b.cfg.MaxCookieSize}
	}
	s.commitOp = OpCookieWritten
	return Token{Action: TokenSet, Value: value, Expires: b.cookieExpiry(s.values, now)}, nil
}

// signedCodec is Flask's itsdangerous timed signature.
type signedCodec struct{ s *signer.Signer }

func (signedCodec) mode() Mode { return SignedCookie }

func (c signedCodec) decode(value string, maxAge time.Duration, now time.Time) ([]byte, time.Time, int, error) {
	return c.s.Decode(value, maxAge, now)
}

func (c signedCodec) encode(payload []byte, now, _ time.Time) string { return c.s.Encode(payload, now) }

func (signedCodec) mayContain(value, text string) bool { return signer.MayContain(value, text) }

// sealedCodec is AES-256-GCM (package seal). The expiry travels inside the
// ciphertext; the payload is never compressed.
type sealedCodec struct{ s *seal.Sealer }

func (sealedCodec) mode() Mode { return SealedCookie }

func (c sealedCodec) decode(value string, _ time.Duration, now time.Time) ([]byte, time.Time, int, error) {
	return c.s.Open(value, now)
}

func (c sealedCodec) encode(payload []byte, now, expires time.Time) string {
	return c.s.Seal(payload, now, expires)
}

// mayContain cannot look inside a sealed value: only a full open can tell.
func (sealedCodec) mayContain(string, string) bool { return true }
