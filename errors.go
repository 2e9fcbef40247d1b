package session

import (
	"errors"
	"fmt"
)

var (
	// ErrConfig is wrapped by every error New returns for an invalid Config.
	ErrConfig = errors.New("session: invalid config")

	// ErrMissing is returned by Get when the session has no such key. Get
	// wraps it with the key's name: match it with errors.Is, not ==.
	ErrMissing = errors.New("session: key not present")

	// ErrWrongType is returned by Get when the stored value cannot be
	// converted to the requested type. Get wraps it: match it with errors.Is.
	ErrWrongType = errors.New("session: value has another type")

	// ErrNotSupported is returned when the configured store lacks a capability
	// an operation needs (for example UserIndex for UserSessions).
	ErrNotSupported = errors.New("session: not supported by this configuration")

	// ErrTooLarge is matched (errors.Is) by *CookieTooLargeError.
	ErrTooLarge = errors.New("session: cookie too large")

	// ErrIdleTimeout means a cookie or record was rejected because the session
	// was unused for longer than Config.IdleTimeout.
	ErrIdleTimeout = errors.New("session: idle timeout exceeded")

	// ErrAbsoluteTimeout means a cookie or record was rejected because the
	// session is older than Config.AbsoluteTimeout.
	ErrAbsoluteTimeout = errors.New("session: absolute timeout exceeded")

	// ErrUnknownID means a server-side session id was not found in the store
	// (expired, deleted or never issued). It is never adopted.
	ErrUnknownID = errors.New("session: unknown session id")

	// ErrInvalidCookie wraps every reason a cookie was rejected; the reason
	// itself (a signer or seal error, ErrIdleTimeout, ...) is wrapped too.
	ErrInvalidCookie = errors.New("session: invalid cookie")

	// ErrStore wraps every store failure the middleware reports, so an
	// ErrorHandler can answer 503 for outages.
	ErrStore = errors.New("session: store failed")

	// ErrChangedAfterCommit is reported (never returned) when a handler changes
	// the session after the response headers were sent: the change is lost.
	ErrChangedAfterCommit = errors.New("session: changed after the response was committed")
)

// CookieTooLargeError reports a session whose cookie would exceed the size
// browsers accept. Such a cookie is never sent: browsers drop it silently.
type CookieTooLargeError struct {
	Name  string // cookie name
	Size  int    // bytes of name and value
	Limit int    // Config.MaxCookieSize
}

// Error implements the error interface.
func (e *CookieTooLargeError) Error() string {
	return fmt.Sprintf("session: cookie %q would be %d bytes (name+value), over the %d-byte limit browsers enforce; store less in the session or use a server-side Store", e.Name, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *CookieTooLargeError) Is(target error) bool { return target == ErrTooLarge }
