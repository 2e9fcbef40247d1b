package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// csrfCookie holds the visitor's CSRF nonce. It is a cookie, not session
// data: keeping the token in the session made every anonymous page view a
// new server-side record (issue 8, finding 3).
const csrfCookie = "csrf_nonce"

// nonceLen is the length of a nonce as it travels: 32 random bytes, base64url.
var nonceLen = base64.RawURLEncoding.EncodedLen(32)

// csrfGuard is a signed double-submit CSRF defence that needs no server
// state. The browser holds a random nonce in an HttpOnly cookie; each form
// carries HMAC(key, nonce, user id). A POST passes when its form token
// matches the MAC of the nonce its own cookie carries and the user its
// session names. Another site can neither read the cookie nor compute the
// MAC, and a token taken from an anonymous page stops working at login,
// because the user id is part of it.
//
// It also refuses cross-origin browser POSTs outright (Sec-Fetch-Site or
// Origin, through net/http's CrossOriginProtection).
type csrfGuard struct {
	key    []byte
	origin *http.CrossOriginProtection
}

// newCSRFGuard derives the MAC key from the app secret, so that a CSRF
// token can never double as a session signature or the reverse.
func newCSRFGuard(secret string) *csrfGuard {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("sessiondemo CSRF token key v1"))
	return &csrfGuard{key: mac.Sum(nil), origin: http.NewCrossOriginProtection()}
}

// nonceOf returns the well-formed nonce the request's cookie carries, or "".
func nonceOf(r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != nonceLen {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// token is the form token for nonce and userID ("" when anonymous).
func (g *csrfGuard) token(nonce, userID string) string {
	mac := hmac.New(sha256.New, g.key)
	mac.Write([]byte(nonce))
	mac.Write([]byte{0})
	mac.Write([]byte(userID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// formToken returns the token to embed in the page's forms, setting a nonce
// cookie first if the request carried none.
func (g *csrfGuard) formToken(w http.ResponseWriter, r *http.Request, userID string) string {
	nonce := nonceOf(r)
	if nonce == "" {
		nonce = g.renew(w)
	}
	return g.token(nonce, userID)
}

// renew sets a fresh nonce cookie and returns it. Login and logout call it,
// so nothing a visitor held before stays valid after.
func (g *csrfGuard) renew(w http.ResponseWriter) string {
	nonce := newToken()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: nonce, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return nonce
}

// valid reports whether got is the token for the request's nonce cookie and
// userID. The comparison is constant-time.
func (g *csrfGuard) valid(r *http.Request, userID, got string) bool {
	nonce := nonceOf(r)
	if nonce == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(g.token(nonce, userID))) == 1
}
