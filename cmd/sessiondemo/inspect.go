package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
)

// inspectData is what /inspect shows about the cookie the browser sent.
type inspectData struct {
	Kind       string // "cookie", "encrypted" or "server"
	CookieName string
	HasCookie  bool
	Raw        string
	// Size counts name and value, as browsers and Config.MaxCookieSize do.
	Size, Limit, Percent int
	BarLevel             string // ok, warn, full

	Compressed  bool
	Payload     string // pretty JSON of what the cookie (or record) holds
	PayloadNote string

	Verdict   string // one line about the signature / seal / id
	VerdictOK bool

	SignedAt     string
	Age          string
	ServerExpiry string // when the server stops accepting it
	Permanent    bool
	BrowserKeeps string // what the browser does with it

	StoreKey     string
	TTL          string
	StoreExpires string

	Secret string // a hint about the key, never the key
}

// maxRawShown bounds how much of the raw cookie the page echoes: browsers
// send at most about 4 KB, but a script may send up to the server's header
// limit.
const maxRawShown = 8 << 10

// maxUnverifiedShown bounds what the inspector shows of a cookie it did not
// verify: never more is inflated, and it is not pretty-printed.
const maxUnverifiedShown = 4 << 10

func (a *app) inspect(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	now := a.cfg.Now()
	name := a.mgr.CookieName()
	d := inspectData{CookieName: name, Limit: session.DefaultMaxCookieSize}
	if c, err := r.Cookie(name); err == nil && c.Value != "" {
		d.HasCookie, d.Raw = true, c.Value
	}
	d.Size = len(name) + len(d.Raw) // what Chromium and MaxCookieSize count
	d.Percent = min(100, d.Size*100/max(d.Limit, 1))
	switch {
	case d.Percent >= 80:
		d.BarLevel = "full"
	case d.Percent >= 50:
		d.BarLevel = "warn"
	default:
		d.BarLevel = "ok"
	}
	d.Permanent = s.Permanent()
	if d.Permanent {
		d.BrowserKeeps = "a persistent cookie: the browser keeps it until its Expires date, moved forward on every request"
	} else {
		d.BrowserKeeps = "a browser-session cookie: it has no Expires attribute, so the browser drops it when it closes"
	}
	d.Verdict = "no cookie yet"
	var in session.Inspection
	var err error
	if d.HasCookie {
		// Verify first: only a verified cookie is decoded in full.
		in, err = a.mgr.Inspect(r.Context(), d.Raw)
	}
	switch a.mgr.Mode() {
	case session.ServerSide:
		d.Kind = "server"
		a.inspectServer(in, err, now, &d)
	case session.SealedCookie:
		d.Kind = "encrypted"
		a.inspectSealed(in, err, now, &d)
	default:
		d.Kind = "cookie"
		a.inspectCookie(in, err, now, &d)
	}
	if len(d.Raw) > maxRawShown {
		d.Raw = fmt.Sprintf("%s… (%d more bytes not shown)", d.Raw[:maxRawShown], len(d.Raw)-maxRawShown)
	}
	p := a.base(w, r, "inspect", "Inspector")
	p.Data = d
	a.render(w, r, http.StatusOK, "inspect", p)
}

// inspectCookie explains a Flask signed cookie: anyone can read its
// payload; only the signature needs the key.
func (a *app) inspectCookie(in session.Inspection, err error, now time.Time, d *inspectData) {
	if !d.HasCookie {
		d.PayloadNote = "Your browser sent no session cookie with this request."
		return
	}
	d.Compressed = strings.HasPrefix(d.Raw, ".")
	d.PayloadNote = "The payload is only base64: anyone holding the cookie can read it. The signature stops them changing it."
	switch {
	case err == nil && in.KeyIndex == 0:
		d.Verdict, d.VerdictOK = "valid: HMAC-SHA1 signature matches the current secret key", true
	case err == nil:
		d.Verdict, d.VerdictOK = fmt.Sprintf("valid under fallback key %d (re-signed with the current key on the next write)", in.KeyIndex), true
	case errors.Is(err, signer.ErrBadSignature):
		d.Verdict = "BAD SIGNATURE: the server ignores this cookie and starts a fresh session"
	case errors.Is(err, signer.ErrExpired):
		d.Verdict = "EXPIRED: signed longer ago than the session lifetime"
	case errors.Is(err, session.ErrIdleTimeout), errors.Is(err, session.ErrAbsoluteTimeout):
		d.Verdict = "signature valid, but the session was rejected (idle or absolute timeout)"
	default:
		d.Verdict = "REJECTED: " + err.Error()
	}
	if err == nil {
		d.Payload = prettyValues(in.Values)
		a.inspectTimes(in, now, d)
		return
	}
	// Rejected: show what it claims, bounded and unverified.
	payload, truncated, signedAt, perr := signer.Peek(d.Raw, maxUnverifiedShown)
	if perr != nil {
		d.Verdict = "MALFORMED: " + perr.Error()
		return
	}
	d.Payload = "(unverified, not trusted) " + string(payload)
	if truncated {
		d.Payload += fmt.Sprintf(" … (cut at %d bytes)", maxUnverifiedShown)
	}
	d.SignedAt = fmtTime(signedAt) + " (claimed by the cookie, not verified)"
	d.Age = ago(now.Sub(signedAt))
}

// inspectSealed explains an AES-256-GCM sealed cookie.
func (a *app) inspectSealed(in session.Inspection, err error, now time.Time, d *inspectData) {
	d.PayloadNote = "The cookie is sealed: without the key it is random bytes. This is what the server decrypted:"
	if !d.HasCookie {
		return
	}
	if err != nil {
		d.Verdict = "REJECTED: it does not open with our keys (tampered, expired or from another secret)"
		return
	}
	d.Verdict, d.VerdictOK = "authentic: the AES-256-GCM tag verified", true
	d.Payload = prettyValues(in.Values)
	a.inspectTimes(in, now, d)
}

// inspectTimes shows when a verified cookie was made and when the server
// stops accepting it.
func (a *app) inspectTimes(in session.Inspection, now time.Time, d *inspectData) {
	if in.SignedAt.IsZero() {
		return
	}
	d.SignedAt = fmtTime(in.SignedAt)
	d.Age = ago(now.Sub(in.SignedAt))
	d.ServerExpiry = fmtTime(in.Expires)
}

// inspectServer shows the id cookie and the record it points to. The raw
// cookie is a bearer secret: the page shows only its fingerprint.
func (a *app) inspectServer(in session.Inspection, err error, now time.Time, d *inspectData) {
	d.PayloadNote = "The cookie holds only a random session id; the data lives in the store under the key below."
	if !d.HasCookie {
		return
	}
	d.Raw = fingerprint(d.Raw)
	if err != nil {
		d.Verdict = "UNKNOWN ID: not in the store (expired, logged out or forged); the server started a fresh session"
		if errors.Is(err, session.ErrStore) {
			d.Verdict = "STORE UNAVAILABLE: the record could not be read"
		}
		return
	}
	d.Verdict, d.VerdictOK = "known id: 256 random bits, found in the store", true
	d.StoreKey = in.StoreKey
	d.Payload = prettyValues(in.Values)
	d.StoreExpires = fmtTime(in.Expires)
	d.TTL = humanDuration(in.Expires.Sub(now))
	d.ServerExpiry = d.StoreExpires
}

// fingerprint names a bearer token without revealing it.
func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf("(the session id, a bearer secret, is not shown; its SHA-256 fingerprint: %x…)", sum[:8])
}

// prettyValues renders a verified session as indented tagged JSON.
func prettyValues(values map[string]any) string {
	if len(values) == 0 {
		return "{}"
	}
	data, err := session.TaggedJSON{}.Marshal(values)
	if err != nil {
		return "(cannot encode: " + err.Error() + ")"
	}
	return prettyJSON(data)
}

func prettyJSON(data []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return string(data)
	}
	return buf.String()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// humanDuration writes a time to live as people say it: "31 days",
// "2 hours 5 minutes", "40 seconds". It keeps the two largest units,
// rounding to the smaller one (743h59m59s is "31 days").
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	units := [...]struct {
		size       time.Duration
		one, other string
	}{
		{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"},
		{time.Minute, "minute", "minutes"}, {time.Second, "second", "seconds"},
	}
	largest := func() int {
		for i, u := range units {
			if d >= u.size {
				return i
			}
		}
		return len(units) - 1
	}
	// Round to the unit below the largest, then look again: rounding may
	// have carried into a larger unit.
	d = d.Round(units[min(largest()+1, len(units)-1)].size)
	i := largest()
	var parts []string
	for _, u := range units[i:min(i+2, len(units))] {
		n := int64(d / u.size)
		d -= time.Duration(n) * u.size
		switch {
		case n == 1:
			parts = append(parts, "1 "+u.one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, u.other))
		}
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}

// ago describes a duration in words.
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d.Seconds()))
	case d < 2*time.Minute:
		return "a minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 2*time.Hour:
		return "an hour ago"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// ---- devices ----

type device struct {
	Current  bool
	Browser  string
	Agent    string
	LastSeen string
	Expires  string
	Key      string // short store key, to tell rows apart
}

type devicesData struct {
	Supported bool // a server-side store with a user index
	Reason    string
	Devices   []device
	Others    int
}

func (a *app) devices(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	d := devicesData{}
	u := userByID(s.GetString(keyUser))
	switch {
	case u == nil:
		d.Reason = "anonymous"
	case !a.spec.serverSide():
		d.Reason = "cookie" // no list to show, but logging out the others works
	default:
		infos, err := a.mgr.UserSessions(r.Context(), u.ID)
		if errors.Is(err, session.ErrNotSupported) {
			d.Reason = "unsupported"
			break
		}
		if err != nil {
			a.log.Error("listing sessions failed", "user", u.ID, "err", err)
			a.fail(w, r, http.StatusServiceUnavailable, "The session store did not answer; try again in a moment.")
			return
		}
		d.Supported = true
		d.Devices = a.describeDevices(r, s, infos)
		for _, dev := range d.Devices {
			if !dev.Current {
				d.Others++
			}
		}
	}
	p := a.base(w, r, "devices", "Devices")
	p.Data = d
	a.render(w, r, http.StatusOK, "devices", p)
}

func (a *app) describeDevices(r *http.Request, s *session.Session, infos []session.RecordInfo) []device {
	current := s.Info().StoreKey
	now := a.cfg.Now()
	out := make([]device, 0, len(infos))
	for _, in := range infos {
		dev := device{Current: in.Key == current, Expires: fmtTime(in.Expires), Key: shortKey(in.Key)}
		values, _, err := a.mgr.LoadStored(r.Context(), in.Key)
		if errors.Is(err, session.ErrNotFound) {
			continue // ended between the listing and now
		}
		if err == nil {
			if ua, ok := values[keyAgent].(string); ok {
				dev.Agent = ua
			}
			if t, ok := values[keyLastSeen].(int64); ok {
				dev.LastSeen = ago(now.Sub(time.Unix(t, 0)))
			}
		}
		if dev.Current {
			dev.LastSeen = "now"
		}
		dev.Browser = describeAgent(dev.Agent)
		out = append(out, dev)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Current && !out[j].Current })
	return out
}

func shortKey(key string) string {
	if i := strings.LastIndexByte(key, ':'); i >= 0 {
		key = key[i+1:]
	}
	if len(key) > 10 {
		key = key[:10] + "…"
	}
	return key
}

// describeAgent turns a User-Agent header into "Browser on OS". It only
// needs to be right for the common browsers; anything else is "Unknown".
func describeAgent(ua string) string {
	if ua == "" {
		return "Unknown browser"
	}
	browser := "Unknown browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
	} {
		if i := strings.Index(ua, b.token); i >= 0 {
			browser = b.name
			if v := leadingVersion(ua[i+len(b.token):]); v != "" && b.name != "Safari" {
				browser += " " + v
			}
			break
		}
	}
	osName := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			osName = o.name
			break
		}
	}
	if osName == "" {
		return browser
	}
	return browser + " on " + osName
}

// leadingVersion returns the major version at the start of s.
func leadingVersion(s string) string {
	n := 0
	for n < len(s) && n < 6 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

func (a *app) logoutOthers(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	u := userByID(s.GetString(keyUser))
	if u == nil {
		redirect(w, r, "/devices")
		return
	}
	// In the cookie modes this revokes every cookie of u signed until now
	// and re-issues this one; it cannot count them (n is 0).
	n, err := a.mgr.DeleteUserSessions(r.Context(), u.ID, s)
	if err != nil && !errors.Is(err, session.ErrNotSupported) {
		a.log.Error("logging out other sessions failed", "user", u.ID, "err", err)
		a.fail(w, r, http.StatusServiceUnavailable, "The session store did not answer; your other devices are still logged in.")
		return
	}
	a.log.Info("logged out other sessions", "user", u.ID, "count", n)
	if a.spec.serverSide() {
		flash(s, trn(langOf(s), n, "Logged out %d other session.", "Logged out %d other sessions."), "success")
	} else {
		flash(s, tr(langOf(s), "Logged out every other browser."), "success")
	}
	redirect(w, r, "/devices")
}
