package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// local drives the app in-process, without a network, from a chosen client
// address: fast enough for tens of thousands of requests, and the only way
// to be several clients (RemoteAddr) at once.
type local struct {
	t       testing.TB
	a       *app
	remote  string
	cookies map[string]string
	csrf    string
}

func newLocal(t testing.TB, a *app, remote string) *local {
	return &local{t: t, a: a, remote: remote, cookies: map[string]string{}}
}

// do serves one request, keeping Set-Cookie lines and the page's CSRF token.
func (c *local) do(method, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = c.remote
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	w := httptest.NewRecorder()
	c.a.ServeHTTP(w, req)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfRE.FindStringSubmatch(w.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return w
}

// post posts form with the last page's CSRF token.
func (c *local) post(path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	if c.csrf == "" {
		c.do(http.MethodGet, "/login", nil)
	}
	form.Set("csrf_token", c.csrf)
	return c.do(http.MethodPost, path, form)
}

// records counts the live records of the app's server-side store.
func records(t testing.TB, a *app) int {
	t.Helper()
	l, ok := a.store.store.(session.Lister)
	if !ok {
		t.Fatalf("store %T cannot list its records", a.store.store)
	}
	infos, err := l.ListSessions(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

// TestAnonymousVisitorsStoreNothing (issue 8, finding 3): 20,000 requests
// from cookieless visitors who do nothing that needs a session (pages, 404s,
// /favicon.ico, the inspector, a forged POST) leave no record in the store.
// Before the CSRF token moved out of the session, each one made a 31-day
// record.
func TestAnonymousVisitorsStoreNothing(t *testing.T) {
	srv := newTestServer(t, "memory")
	paths := []string{"/", "/favicon.ico", "/no/such/page", "/cart", "/login", "/prefs", "/inspect", "/devices"}
	const visitors = 20_000
	for i := range visitors {
		c := newLocal(t, srv.app, fmt.Sprintf("198.51.100.%d:4242", i%250))
		if i%10 == 9 {
			// A forged POST: no nonce cookie, made-up token.
			if w := c.do(http.MethodPost, "/cart/add", url.Values{"sku": {"tea-sencha"}, "csrf_token": {newToken()}}); w.Code != http.StatusForbidden {
				t.Fatalf("forged POST: status %d, want 403", w.Code)
			}
			continue
		}
		path := paths[i%len(paths)]
		w := c.do(http.MethodGet, path, nil)
		if want := map[bool]int{true: http.StatusNotFound, false: http.StatusOK}[path == "/favicon.ico" || path == "/no/such/page"]; w.Code != want {
			t.Fatalf("GET %s: status %d, want %d", path, w.Code, want)
		}
		if _, ok := c.cookies["session"]; ok {
			t.Fatalf("GET %s gave a cookieless visitor a session cookie", path)
		}
	}
	if n := records(t, srv.app); n != 0 {
		t.Fatalf("%d anonymous requests left %d records, want 0", visitors, n)
	}
	t.Logf("%d anonymous requests: %d records", visitors, records(t, srv.app))

	// The forms still work, and the first real write creates the record.
	c := newLocal(t, srv.app, "198.51.100.7:4242")
	c.do(http.MethodGet, "/", nil)
	if w := c.post("/cart/add", url.Values{"sku": {"tea-sencha"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("POST /cart/add with the page's token: status %d", w.Code)
	}
	if n := records(t, srv.app); n != 1 {
		t.Fatalf("after one cart write: %d records, want 1", n)
	}
}

// TestCSRFWithoutSessionState checks the double-submit scheme's edges: the
// token only works with its own nonce cookie, stops working at login, and a
// cross-origin browser POST is refused even with a valid token.
func TestCSRFWithoutSessionState(t *testing.T) {
	srv := newTestServer(t, "memory")
	c := newLocal(t, srv.app, "192.0.2.1:1000")
	c.do(http.MethodGet, "/", nil)
	nonce, token := c.cookies[csrfCookie], c.csrf
	if len(nonce) != nonceLen || token == "" || token == nonce {
		t.Fatalf("nonce cookie %q, form token %q", nonce, token)
	}
	w := c.do(http.MethodGet, "/cart", nil)
	if c.csrf != token || strings.Contains(strings.Join(w.Result().Header.Values("Set-Cookie"), ";"), csrfCookie) {
		t.Fatalf("a second page changed the token or re-set the nonce")
	}

	for _, tc := range []struct {
		name   string
		nonce  string
		header []string
	}{
		{"no nonce cookie", "", nil},
		{"another nonce", newToken(), nil},
		{"malformed nonce", "short", nil},
		{"cross-site fetch", nonce, []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign Origin", nonce, []string{"Origin", "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newLocal(t, srv.app, "192.0.2.1:1000")
			if tc.nonce != "" {
				a.cookies[csrfCookie] = tc.nonce
			}
			form := url.Values{"sku": {"tea-sencha"}, "csrf_token": {token}}
			if w := a.do(http.MethodPost, "/cart/add", form, tc.header...); w.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403", w.Code)
			}
		})
	}
	if w := c.do(http.MethodPost, "/cart/add", url.Values{"sku": {"tea-sencha"}, "csrf_token": {token}},
		"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"); w.Code != http.StatusSeeOther {
		t.Fatalf("same-origin POST with its token: status %d, want 303", w.Code)
	}

	// Login renews the nonce, and the user id is bound into the token: the
	// anonymous token is dead afterwards even with the old nonce restored.
	if w := c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("login: status %d", w.Code)
	}
	if c.cookies[csrfCookie] == nonce {
		t.Errorf("login did not renew the nonce cookie")
	}
	c.cookies[csrfCookie] = nonce
	if w := c.do(http.MethodPost, "/cart/add", url.Values{"sku": {"tea-sencha"}, "csrf_token": {token}}); w.Code != http.StatusForbidden {
		t.Fatalf("the anonymous token still works after login: status %d", w.Code)
	}
}

// bombCookie builds a compressed Flask-format cookie (".<b64 zlib>.<ts>.<sig>")
// with a junk signature whose payload is a JSON array of copies arrays,
// each nested depth deep: a few hundred bytes that inflate to 8×depth×copies
// bytes and, pretty-printed, to O(depth²).
func bombCookie(t testing.TB, copies, depth int, now time.Time) string {
	t.Helper()
	nested := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	var raw bytes.Buffer
	zw, err := zlib.NewWriterLevel(&raw, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = zw.Write([]byte("[" + strings.Repeat(nested+",", copies-1) + nested + "]"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.Unix()))
	b64 := base64.RawURLEncoding.EncodeToString
	return "." + b64(raw.Bytes()) + "." + b64(bytes.TrimLeft(ts[:], "\x00")) + "." + strings.Repeat("A", 27)
}

// maxBombPage is the page size a bomb cookie may produce (issue 8: "a
// bounded page, under 256 KiB").
const maxBombPage = 256 << 10

// TestInspectorBombs (issue 8, finding 1): compressed cookies with a junk
// signature that used to make /inspect inflate and pretty-print up to 1 MiB
// (a 128 MB page, or 33 s of CPU and 5 GB) now give a small page in every
// mode. The unverified payload is shown cut at maxUnverifiedShown bytes,
// never pretty-printed.
func TestInspectorBombs(t *testing.T) {
	now := time.Now()
	bombs := []struct {
		name   string
		cookie string
	}{
		{"4x4000 deep", bombCookie(t, 4, 4000, now)},   // 138 bytes, like the report's 136
		{"4x14500 deep", bombCookie(t, 4, 14500, now)}, // 252 bytes, like the report's 252
		{"1 MiB inflated", bombCookie(t, 4, 131000, now)},
	}
	for _, store := range []string{"cookie", "encrypted", "memory"} {
		srv := newTestServer(t, store)
		for _, b := range bombs {
			t.Run(store+"/"+b.name, func(t *testing.T) {
				if len(b.cookie) > 1500 {
					t.Fatalf("the bomb is %d bytes; it should be a small cookie", len(b.cookie))
				}
				c := newLocal(t, srv.app, "203.0.113.5:999")
				c.cookies["session"] = b.cookie
				start := time.Now()
				for _, path := range []string{"/inspect", "/", "/cart"} {
					w := c.do(http.MethodGet, path, nil)
					if w.Code != http.StatusOK {
						t.Fatalf("GET %s: status %d, want 200", path, w.Code)
					}
					if n := w.Body.Len(); n > maxBombPage {
						t.Fatalf("GET %s with a %d-byte cookie: a %d-byte page, want < %d", path, len(b.cookie), n, maxBombPage)
					}
					if path == "/inspect" {
						body := w.Body.String()
						t.Logf("%d-byte cookie: /inspect page %d bytes", len(b.cookie), w.Body.Len())
						if store == "cookie" && (!strings.Contains(body, "BAD SIGNATURE") || !strings.Contains(body, "cut at 4096 bytes")) {
							t.Errorf("the inspector does not show the bomb as rejected and cut:\n%.2000s", body)
						}
						if strings.Contains(body, "\n  [") {
							t.Errorf("the unverified payload was pretty-printed")
						}
						if strings.Contains(body, `id="inspect-expiry"`) {
							t.Errorf("a rejected cookie shows when the server accepts it until")
						}
					}
				}
				// Not a timing assertion: a generous bound that only a
				// return of the quadratic pretty-printing would exceed.
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("three pages took %v", d)
				}
			})
		}
	}
}

// TestInspectorRawBounded: the inspector echoes the raw cookie, but never
// more than maxRawShown of it, whatever the client sends.
func TestInspectorRawBounded(t *testing.T) {
	srv := newTestServer(t, "cookie")
	c := newLocal(t, srv.app, "203.0.113.5:999")
	c.cookies["session"] = strings.Repeat("x", 512<<10) + ".aS9rXg." + strings.Repeat("A", 27)
	w := c.do(http.MethodGet, "/inspect", nil)
	if w.Code != http.StatusOK || w.Body.Len() > maxBombPage {
		t.Fatalf("a 512 KiB cookie: status %d, %d-byte page", w.Code, w.Body.Len())
	}
	if !strings.Contains(w.Body.String(), "bytes not shown") {
		t.Errorf("the cut raw value does not say it was cut")
	}
}

// TestServerSideFingerprint: in server-side modes the cookie is a bearer
// secret, so the inspector shows a SHA-256 fingerprint, never the value,
// and no page or log line carries the raw id.
func TestServerSideFingerprint(t *testing.T) {
	srv := newTestServer(t, "memory")
	c := newClient(t, srv.URL)
	c.login("alice", "wonderland", false)
	id := c.cookie()
	if len(id) < 40 {
		t.Fatalf("session cookie %q does not look like an id", id)
	}
	body := c.get("/inspect").body
	if !regexp.MustCompile(`SHA-256 fingerprint: [0-9a-f]{16}…`).MatchString(body) {
		t.Errorf("no fingerprint on the inspector page")
	}
	for name, text := range map[string]string{
		"inspector": body, "devices page": c.get("/devices").body, "logs": srv.logs.String(),
	} {
		if strings.Contains(text, id) {
			t.Errorf("the %s shows the raw session id", name)
		}
	}
}
