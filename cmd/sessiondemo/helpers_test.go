package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSecret is the demo's key in tests; the Flask peer gets it too.
const testSecret = "sessiondemo test secret, not for production"

// logBuffer collects the app's logs; they are printed when a test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is the demo app behind an httptest server.
type testServer struct {
	*httptest.Server
	app  *app
	logs *logBuffer
}

type testOption func(*Config)

func withClock(now func() time.Time) testOption { return func(c *Config) { c.Now = now } }

// newTestServer starts the demo on 127.0.0.1:0 with the given store spec.
func newTestServer(t testing.TB, store string, opts ...testOption) *testServer {
	t.Helper()
	logs := &logBuffer{}
	cfg := Config{
		Secret: testSecret,
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := newApp(ctx, cfg)
	if err != nil {
		t.Fatalf("newApp(store %q): %v", store, err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
		if t.Failed() {
			t.Logf("app logs:\n%s", logs.String())
		}
	})
	return &testServer{Server: srv, app: a, logs: logs}
}

// client is a cookie-keeping HTTP client that does not follow redirects on
// its own, so tests see every Set-Cookie.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string // from the last page read
	ua   string // User-Agent; a default when empty
}

func newClient(t testing.TB, base string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, http: &http.Client{
		Jar:     jar,
		Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	ua := c.ua
	if ua == "" {
		ua = "Mozilla/5.0 (X11; Linux x86_64) sessiondemo-test Go-http-client/1.1"
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	r := &response{Response: resp, body: string(b)}
	if m := csrfRE.FindStringSubmatch(r.body); m != nil {
		c.csrf = m[1]
	}
	return r
}

// get fetches path without following redirects.
func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// postRaw posts form as is (no CSRF token added).
func (c *client) postRaw(path string, form url.Values) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// post posts form with the CSRF token of the last page, loading / first if
// no page was read yet.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/")
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", c.csrf)
	return c.postRaw(path, form)
}

// submit posts like a browser: the 303 is followed with a GET, whose page is
// returned.
func (c *client) submit(path string, form url.Values) *response {
	c.t.Helper()
	r := c.post(path, form)
	if r.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("POST %s: status %d, want 303; body:\n%s", path, r.StatusCode, r.body)
	}
	return c.get(r.Header.Get("Location"))
}

func (c *client) login(name, password string, remember bool) *response {
	c.t.Helper()
	form := url.Values{"username": {name}, "password": {password}}
	if remember {
		form.Set("remember", "1")
	}
	return c.submit("/login", form)
}

// cookie returns the session cookie the jar holds, or "".
func (c *client) cookie() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "session" {
			return ck.Value
		}
	}
	return ""
}

// setCookie replaces the session cookie in the jar.
func (c *client) setCookie(value string) {
	u, _ := url.Parse(c.base)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: value, Path: "/"}})
}

// sessionSetCookie returns the Set-Cookie line for "session", or "".
func sessionSetCookie(r *response) string {
	for _, line := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "session=") {
			return line
		}
	}
	return ""
}

// loggedInAs returns the data-user attribute of a page.
func loggedInAs(body string) string {
	m := regexp.MustCompile(`<body [^>]*data-user="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "(no body tag)"
	}
	return m[1]
}

// cartQty returns the quantity of sku on the cart page, or 0.
func cartQty(t testing.TB, body, sku string) int {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-sku="` + regexp.QuoteMeta(sku) + `">.*?name="qty" value="(\d+)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, ok := atoiBounded(m[1], 0, 1000)
	if !ok {
		t.Fatalf("bad quantity %q", m[1])
	}
	return n
}

// flashes returns the flash messages of a page.
func flashes(body string) []string {
	var out []string
	re := regexp.MustCompile(`<div class="flash flash-(\w+)" role="status"><span class="flash-dot" aria-hidden="true"></span>([^<]*)</div>`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+": "+html.UnescapeString(m[2]))
	}
	return out
}

func TestMain(m *testing.M) {
	// Password hashing is the slowest thing the demo does; its cost is a
	// constant, not behaviour under test (TestAuthenticate checks the
	// hashing itself).
	pbkdf2Iterations = 1000
	os.Exit(m.Run())
}
