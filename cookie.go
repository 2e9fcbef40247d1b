package session

import (
	"net/http"
	"strings"
	"time"
)

// cookieValue returns the value of the first cookie called name, with
// surrounding double quotes removed, as Werkzeug reads it. It does not
// allocate.
func cookieValue(r *http.Request, name string) string {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				v := part[len(name)+1:]
				if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return v
			}
		}
	}
	return ""
}

// cookieHeader formats the session cookie in Werkzeug's attribute order, so
// the header is byte-identical to Flask's. A zero expires makes a
// browser-session cookie; deletion adds Max-Age=0.
func (m *Manager) cookieHeader(value string, expires time.Time, deletion bool) string {
	c := &m.cfg
	var b strings.Builder
	b.Grow(len(c.CookieName) + len(value) + 96)
	b.WriteString(c.CookieName)
	b.WriteByte('=')
	b.WriteString(value)
	if c.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(c.Domain)
	}
	if !expires.IsZero() {
		b.WriteString("; Expires=")
		b.WriteString(expires.UTC().Format(http.TimeFormat))
	}
	if deletion {
		b.WriteString("; Max-Age=0")
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	if !c.DisableHTTPOnly {
		b.WriteString("; HttpOnly")
	}
	b.WriteString("; Path=")
	b.WriteString(c.Path)
	switch c.SameSite {
	case http.SameSiteLaxMode:
		b.WriteString("; SameSite=Lax")
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	}
	if c.Partitioned {
		b.WriteString("; Partitioned")
	}
	return b.String()
}
