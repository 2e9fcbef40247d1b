package session

import (
	"crypto/sha1"
	"fmt"
	"hash"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/flaskgo/session/signer"
)

// Defaults, equal to Flask's where Flask has one.
const (
	DefaultCookieName    = "session"
	DefaultSalt          = "cookie-session"
	DefaultLifetime      = 31 * 24 * time.Hour
	DefaultKeyPrefix     = "session:"
	DefaultUserIDKey     = "_user_id"
	DefaultMaxCookieSize = 4096
	// DefaultMinCompressSize is Config.MinCompressSize's default (without
	// -tags czlib).
	DefaultMinCompressSize = 256
	// MaxCookieSizeLimit is the largest Config.MaxCookieSize: beyond it,
	// proxies and servers reject the request header long before a browser
	// would send it.
	MaxCookieSizeLimit = 16 << 10
	// MinKeyLength is the length, in bytes, below which a secret key draws a
	// warning (or, with Config.RequireStrongKeys, an error).
	MinKeyLength = 32
)

// Config configures a Manager. The zero value of every field but SecretKey
// is a sensible default; New reports invalid combinations.
type Config struct {
	// SecretKey signs (and, with Encrypted, encrypts) cookies. Flask's
	// SECRET_KEY: the same string makes both sides read each other's cookies.
	// It is required unless nothing is signed: a server-side Store without
	// SignIDs needs no key.
	//
	// Use at least 32 random bytes. Shorter keys are accepted, because a Go
	// service sharing a Flask app's key must accept what Flask accepts, but
	// New logs a warning for each (a short key can be recovered from one
	// cookie by brute force); RequireStrongKeys rejects them instead.
	SecretKey string
	// FallbackKeys are older keys still accepted when reading (Flask 3.1's
	// SECRET_KEY_FALLBACKS). A cookie verified by one is re-issued under
	// SecretKey on that response.
	FallbackKeys []string

	// RequireStrongKeys makes New reject a SecretKey or fallback key shorter
	// than MinKeyLength bytes instead of warning about it.
	RequireStrongKeys bool

	// Digest is the HMAC hash of signed cookies; default SHA-1 as Flask.
	Digest func() hash.Hash
	// Salt is the key-derivation salt of signed cookies; default "cookie-session".
	Salt string

	// CookieName defaults to "session".
	CookieName string
	// Path defaults to "/". It must start with "/" and hold no ";" or
	// control characters.
	Path string
	// Domain is empty by default: a host-only cookie. Otherwise a domain
	// name (a leading dot is allowed and ignored by browsers) or an IPv4
	// address, as net/http accepts for a cookie's Domain.
	Domain string
	// Secure sends the cookie over HTTPS only.
	Secure bool
	// DisableHTTPOnly lets page scripts read the cookie. HttpOnly is on by default.
	DisableHTTPOnly bool
	// SameSite defaults to Lax (0). http.SameSiteDefaultMode omits the
	// attribute, as Flask does by default. Any other value than net/http's
	// four constants is an error, as Flask raises ValueError.
	SameSite http.SameSite
	// Partitioned adds the CHIPS attribute; it requires Secure.
	Partitioned bool

	// Lifetime is Flask's PERMANENT_SESSION_LIFETIME: a permanent session's
	// cookie expiry, and the maximum age of every session. Default 31 days.
	Lifetime time.Duration
	// Permanent makes every new session permanent (its cookie carries an
	// expiry Lifetime ahead) unless the handler calls SetPermanent(false):
	// Flask-Session's SESSION_PERMANENT, which is on by default there. Plain
	// Flask, and this package by default, start sessions as browser-session
	// cookies. It sets "_permanent" in the session when it is first written.
	Permanent bool
	// DisableRefresh stops re-issuing a permanent session on every request
	// (Flask's SESSION_REFRESH_EACH_REQUEST = False).
	//
	// With refresh on, a cookie session is re-signed on every request, as
	// Flask does, even one whose handler never touches it (only if its
	// payload mentions "_permanent": other cookies are not decoded). A
	// server-side session is refreshed (store expiry moved, at most one
	// round trip; cookie re-sent when permanent) only by requests that use
	// it: untouched requests cost no store call, unlike Flask-Session.
	DisableRefresh bool
	// IdleTimeout, when set, ends a session that was not used for this long.
	// Every request that uses the session renews it.
	IdleTimeout time.Duration
	// AbsoluteTimeout, when set, ends a session this long after it was
	// created, however active. The creation time is kept in the session under
	// the key "_created" (Unix seconds).
	AbsoluteTimeout time.Duration

	// MinCompressSize: session payloads shorter than this many bytes are
	// never compressed. A negative value applies Flask's rule (compress
	// whenever it saves 2 bytes) at every size. Flask reads both kinds.
	//
	// The default is 256: a typical session then costs no deflate to write
	// and no inflate to read, for a few more bytes of cookie; Go's deflate
	// does not produce C zlib's bytes, so compressed cookies differ from
	// Flask's anyway. Built with -tags czlib (cgo and the system's zlib), the
	// default is Flask's rule and every cookie is byte-identical to Flask's.
	MinCompressSize int

	// Encrypted seals the cookie with AES-256-GCM under keys derived from
	// SecretKey and FallbackKeys instead of signing it: clients cannot read
	// it, and Flask cannot either. Every key must then be at least 32 bytes.
	// The payload is not compressed, so its length leaks nothing about secrets
	// stored next to attacker-chosen values.
	Encrypted bool

	// Revocations, when set in a cookie mode, makes logout stick: every
	// session gets a random id (KeySessionID) in its payload; Destroy and
	// Renew record the old id as revoked in this store, so that every copy
	// of the old cookie is refused; DeleteUserSessions ends all of a user's
	// cookie sessions. Each request that uses a session reads one small
	// record (none when unset); if the store fails, the request fails (503)
	// rather than let a revoked cookie back in. Any Store works; records
	// expire after Lifetime. Flask apps sharing the cookie see the "_sid" key.
	Revocations Store

	// Store, when set, keeps session data on the server; the cookie carries
	// only a random session id.
	Store Store
	// KeyPrefix is prepended to store keys; default "session:" as Flask-Session.
	KeyPrefix string
	// NoKeyPrefix makes store keys carry no prefix at all, as Flask-Session
	// with SESSION_KEY_PREFIX = "" (an empty KeyPrefix means the default).
	// KeyPrefix must then be empty.
	NoKeyPrefix bool
	// PlainStoreKeys stores a session under KeyPrefix+id, as Flask-Session
	// does. By default the key is KeyPrefix + hex(SHA-256(id)), so a leaked
	// store dump does not hand out live session ids.
	PlainStoreKeys bool
	// SignIDs signs the session id in the cookie the way Flask-Session's
	// SESSION_USE_SIGNER does.
	SignIDs bool
	// Serializer encodes server-side session data; default Flask's tagged JSON.
	Serializer Serializer
	// StoreTimeout bounds every call to the Store (default 500ms; negative:
	// no bound), so that a stalled store ends the request quickly with an
	// error wrapping ErrStore and context.DeadlineExceeded. The commit runs
	// under a context that keeps the request's values but not its
	// cancellation: a client that disconnects after the handler changed the
	// session does not lose the change. Drivers' own timeouts and retries
	// apply inside this bound (see docs/reliability.md).
	StoreTimeout time.Duration
	// LockTTL is how long a Session.Lock lives if its holder never releases
	// it (a crashed process); default 30s. Keep it above the longest
	// request that locks.
	LockTTL time.Duration
	// UserIDKey names the session key that holds the logged-in user's id, so
	// stores with a UserIndex can find a user's sessions. Default "_user_id"
	// (Flask-Login's key).
	UserIDKey string

	// MaxCookieSize caps len(name)+len(value) of the session cookie; default
	// 4096, what browsers keep. A larger session fails with *CookieTooLargeError.
	// It must not be negative nor exceed MaxCookieSizeLimit.
	MaxCookieSize int

	// ErrorHandler answers a request whose session could not be committed
	// (store failure, cookie too large). Default: log, then 503 with
	// Retry-After: 1 for a store failure (errors.Is ErrStore) and 500 for
	// anything else.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// OnInvalidCookie, when set, is told why an incoming cookie was rejected
	// (the request goes on with a fresh, empty session).
	OnInvalidCookie func(r *http.Request, err error)
	// OnChangeAfterCommit, when set, is told about every change made to a
	// session after its response was committed; such changes are lost. The
	// error wraps ErrChangedAfterCommit and names the key; it is also called
	// when the handler wrote its response around the middleware's writer
	// (a framework writer that tells it wrote, as gin's does), so that the
	// commit's cookie could not be sent. It is also logged.
	// It runs while the session is locked: it must not use the Session.
	OnChangeAfterCommit func(r *http.Request, err error)
	// Observer, when set, is told about every session event (created,
	// loaded, rejected and why, committed, store calls with their
	// durations, ...), for metrics and traces. See Observer; one that
	// also implements SpanObserver is told when each commit and store call
	// begins, to open a span around it.
	Observer Observer
	// Logger receives errors and warnings; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests set it.
	Now func() time.Time
}

// withDefaults returns a copy of c with defaults filled in, or an error for
// invalid settings.
func (c Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if c.SecretKey == "" && c.signs() {
		return bad("SecretKey is empty; it signs the cookie (Flask refuses sessions without a secret key too); only a server-side Store without SignIDs needs none")
	}
	for i, k := range c.FallbackKeys {
		if k == "" {
			return bad("FallbackKeys[%d] is empty", i)
		}
	}
	if c.FallbackKeys != nil && c.SecretKey == "" {
		return bad("FallbackKeys without a SecretKey")
	}
	if c.Digest == nil {
		c.Digest = sha1.New
	}
	if c.Salt == "" {
		c.Salt = DefaultSalt
	}
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if !validCookieName(c.CookieName) {
		return bad("CookieName %q is not a valid cookie name", c.CookieName)
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if !validCookiePath(c.Path) {
		return bad("Path %q must start with / and hold no ';' or control characters", c.Path)
	}
	if c.Domain != "" && !validCookieDomain(c.Domain) {
		return bad("Domain %q is not a cookie domain (a host name or an IPv4 address)", c.Domain)
	}
	switch c.SameSite {
	case 0:
		c.SameSite = http.SameSiteLaxMode
	case http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
	default:
		return bad("SameSite %d is none of http.SameSiteDefaultMode, Lax, Strict or None", int(c.SameSite))
	}
	if c.MinCompressSize == 0 {
		c.MinCompressSize = DefaultMinCompressSize
		if signer.ByteExactCompression {
			c.MinCompressSize = -1
		}
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.Lifetime < time.Second {
		return bad("Lifetime %v is shorter than one second", c.Lifetime)
	}
	if c.IdleTimeout < 0 || c.AbsoluteTimeout < 0 {
		return bad("IdleTimeout and AbsoluteTimeout must not be negative")
	}
	if c.NoKeyPrefix && c.KeyPrefix != "" {
		return bad("NoKeyPrefix and KeyPrefix %q exclude each other", c.KeyPrefix)
	}
	if c.KeyPrefix == "" && !c.NoKeyPrefix {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.LockTTL <= 0 {
		c.LockTTL = DefaultLockTTL
	}
	if c.UserIDKey == "" {
		c.UserIDKey = DefaultUserIDKey
	}
	if c.MaxCookieSize == 0 {
		c.MaxCookieSize = DefaultMaxCookieSize
	}
	if c.MaxCookieSize < 0 || c.MaxCookieSize > MaxCookieSizeLimit {
		return bad("MaxCookieSize %d is outside 1..%d", c.MaxCookieSize, MaxCookieSizeLimit)
	}
	if c.Serializer == nil {
		c.Serializer = TaggedJSON{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := c.checkKeyStrength(); err != nil {
		return c, err
	}
	if c.Revocations != nil && c.Store != nil {
		return bad("Revocations is for cookie sessions; a server-side Store already ends a session for good on Destroy")
	}
	if c.Encrypted && c.Store != nil {
		return bad("Encrypted and Store exclude each other: a server-side session keeps only an id in the cookie")
	}
	if strings.HasPrefix(c.CookieName, "__Host-") {
		if c.Domain != "" {
			return bad("a __Host- cookie must not have a Domain (browsers reject it)")
		}
		if !c.Secure {
			return bad("a __Host- cookie must be Secure (browsers reject it)")
		}
		if c.Path != "/" {
			return bad("a __Host- cookie must have Path=/ (browsers reject it)")
		}
	}
	if strings.HasPrefix(c.CookieName, "__Secure-") && !c.Secure {
		return bad("a __Secure- cookie must be Secure (browsers reject it)")
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		return bad("SameSite=None requires Secure (browsers reject it)")
	}
	if c.Partitioned && !c.Secure {
		return bad("Partitioned requires Secure (browsers reject it)")
	}
	return c, nil
}

// signs reports whether the configuration signs or seals anything with
// SecretKey.
func (c *Config) signs() bool { return c.Store == nil || c.SignIDs }

// checkKeyStrength warns about (or, with RequireStrongKeys, rejects) keys
// shorter than MinKeyLength. The message never shows a key.
func (c *Config) checkKeyStrength() error {
	if !c.signs() {
		return nil
	}
	for i, k := range append([]string{c.SecretKey}, c.FallbackKeys...) {
		if len(k) >= MinKeyLength {
			continue
		}
		name := "SecretKey"
		if i > 0 {
			name = fmt.Sprintf("FallbackKeys[%d]", i-1)
		}
		if c.RequireStrongKeys {
			return fmt.Errorf("%w: %s is %d bytes; RequireStrongKeys wants at least %d", ErrConfig, name, len(k), MinKeyLength)
		}
		c.Logger.Warn("session: weak secret key: a key this short can be recovered from one cookie by brute force; use 32 or more random bytes",
			"key", name, "bytes", len(k), "want", MinKeyLength)
	}
	return nil
}

// validCookiePath accepts what a browser takes as a cookie path and cannot
// end the attribute early: a leading "/", no ";" and no control bytes.
func validCookiePath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b := p[i]; b < 0x20 || b == 0x7f || b == ';' {
			return false
		}
	}
	return true
}

// validCookieDomain follows net/http's rule for a cookie's Domain: a domain
// name of letters, digits, hyphens and dots (labels of 1 to 63 bytes, not
// starting or ending with a hyphen, 255 bytes at most, an optional leading
// dot), or an IPv4 address.
func validCookieDomain(d string) bool {
	if ip := net.ParseIP(d); ip != nil {
		return !strings.Contains(d, ":")
	}
	d = strings.TrimPrefix(d, ".")
	if d == "" || len(d) > 255 {
		return false
	}
	letter := false
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			switch b := label[i]; {
			case 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '_':
				letter = true
			case '0' <= b && b <= '9' || b == '-':
			default:
				return false
			}
		}
	}
	return letter
}

func validCookieName(name string) bool {
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", b) >= 0 {
			return false
		}
	}
	return name != ""
}
