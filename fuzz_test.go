package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/vectors"
)

// signingInput is the signed part of a token: everything before the last dot.
// (The signature's last character may vary in its unused bits, as in Flask.)
func signingInput(token string) string {
	if i := strings.LastIndexByte(token, '.'); i >= 0 {
		return token[:i]
	}
	return token
}

// FuzzCookie feeds arbitrary cookie values through the whole middleware. No
// input may panic or fail the request, and only cookies signed with the key
// may yield data: the fuzzer cannot forge HMAC-SHA1, so any session with keys
// must come from a seed that was signed with it.
func FuzzCookie(f *testing.F) {
	v, err := vectors.Load("testdata/flask-cookies.json")
	if err != nil {
		f.Fatal(err)
	}
	signed := map[string]bool{}
	for _, p := range v.Positive {
		f.Add(p.Cookie)
		signed[signingInput(p.Cookie)] = true
	}
	for _, n := range v.Negative {
		f.Add(n.Cookie)
		// Some negatives are valid under another vector's key.
		signed[signingInput(n.Cookie)] = true
	}
	f.Add("")
	f.Add(".")
	f.Add("..")
	f.Add(`"quoted.value.x"`)
	keys := map[string]bool{}
	for _, p := range v.Positive {
		keys[p.SecretKey] = true
	}
	var managers []*session.Manager
	for k := range keys {
		m, err := session.New(session.Config{SecretKey: k, Lifetime: 100 * 365 * 24 * time.Hour,
			Now: func() time.Time { return time.Unix(1700000100, 0) }})
		if err != nil {
			f.Fatal(err)
		}
		managers = append(managers, m)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		for _, m := range managers {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Cookie", "session="+cookie)
			rec := httptest.NewRecorder()
			var n int
			m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := session.From(r)
				n = s.Len()
				s.Set("touched", true) // exercise encoding of whatever was decoded
			})).ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d for cookie %q: %s", rec.Code, cookie, rec.Body)
			}
			if n > 0 && !signed[signingInput(strings.Trim(cookie, `"`))] {
				t.Fatalf("unsigned cookie %q produced a session with %d keys", cookie, n)
			}
		}
	})
}
