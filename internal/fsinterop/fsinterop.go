// Package fsinterop is the live interop test shared by every store that
// Flask-Session has a backend for: Debian's Flask-Session 0.3.2 (a real
// Flask app, testdata/peer.py) and a Go session.Manager share one store,
// one key prefix and one secret, and Run checks that each side reads and
// changes what the other wrote — every value type, flashes, a big int,
// non-ASCII text, a new session from either side, a clear seen by both.
// The store packages' tests call it with their own backend.
package fsinterop

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/internal/testenv"
)

// Backend is one Flask-Session backend, seen from both sides.
type Backend struct {
	// PeerArgs select the backend in testdata/peer.py: "--type", "redis",
	// "--redis", "127.0.0.1:6379/0", ...
	PeerArgs []string
	// Imports are the Python modules the peer needs besides Flask and
	// Flask-Session, checked before it starts ("redis", "pymemcache", ...).
	Imports []string
	// Store is the Go side's view of the same backend.
	Store session.Store
	// Raw returns the serialized session stored under the full store key
	// (prefix + id), without any framing of the backend, and whether it
	// exists.
	Raw func(t *testing.T, key string) ([]byte, bool)
}

// Options are the settings both sides share.
type Options struct {
	Signed bool   // SESSION_USE_SIGNER / Config.SignIDs
	Prefix string // SESSION_KEY_PREFIX; "" is no prefix (Config.NoKeyPrefix)
}

// Pair is a Flask peer and a Go app on one backend.
type Pair struct {
	Options
	Flask, Go string // base URLs
	raw       func(t *testing.T, key string) ([]byte, bool)
	client    *http.Client
}

// Start checks the peer's Python modules (skipping loudly, or failing
// under CI=true, when one is missing), starts the Flask peer and a Go app
// on b.Store, and returns them.
func Start(t *testing.T, b Backend, o Options) *Pair {
	t.Helper()
	imports := append([]string{"flask", "flask_session", "markupsafe"}, b.Imports...)
	if out, err := exec.Command(testenv.SystemPython, "-c", "import "+strings.Join(imports, ", ")).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot import %s (apt-get install python3-flask-session and the backend's client): %v %s",
			testenv.SystemPython, strings.Join(imports, ", "), err, bytes.TrimSpace(out))
	}
	secret := "interop secret " + randomHex(8)
	p := &Pair{Options: o, raw: b.Raw, client: &http.Client{Timeout: 30 * time.Second}}
	p.Flask = StartFlask(t, secret, o, b.PeerArgs...)
	p.Go = StartGo(t, b.Store, secret, o)
	return p
}

// StartFlask starts the Flask peer with secret and o on the backend
// peerArgs select ("--type", "redis", ...) and returns its base URL.
func StartFlask(t *testing.T, secret string, o Options, peerArgs ...string) string {
	t.Helper()
	args := append([]string{PeerScript(t), "--secret", secret, "--prefix", o.Prefix}, peerArgs...)
	if o.Signed {
		args = append(args, "--signer")
	}
	return testenv.StartPeer(t, testenv.SystemPython, args...)
}

// StartGo serves GoApp on st with the session settings of a Flask-Session
// app using secret and o, and returns its base URL.
func StartGo(t *testing.T, st session.Store, secret string, o Options) string {
	t.Helper()
	m, err := session.New(session.Config{
		SecretKey:      secret,
		Store:          st,
		KeyPrefix:      o.Prefix,
		NoKeyPrefix:    o.Prefix == "",
		PlainStoreKeys: true,
		SignIDs:        o.Signed,
		Serializer:     flasksession.Pickle{},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler(GoApp()))
	t.Cleanup(srv.Close)
	return srv.URL
}

// PeerScript is the absolute path of testdata/peer.py, for tests that run
// the peer themselves.
func PeerScript(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("fsinterop: cannot locate peer.py")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "peer.py")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Reply is what both apps answer.
type Reply struct {
	Session   any         `json:"session"`
	Permanent bool        `json:"permanent"`
	SID       string      `json:"sid"`
	Flashes   [][2]string `json:"flashes"`
	Cookie    string      `json:"-"` // value of the session cookie set, "" if none
	SetCookie bool        `json:"-"`
}

// Do sends one request with the session cookie (if any) to either app.
func (p *Pair) Do(t *testing.T, method, url, cookie string, body any) *Reply {
	t.Helper()
	return Do(t, p.client, method, url, cookie, body)
}

// Do sends one request to an app of the peer's protocol: a JSON body (if
// any), the session cookie (if any); it fails t unless the answer is a 2xx.
func Do(t *testing.T, client *http.Client, method, url, cookie string, body any) *Reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s\n%s", method, url, resp.Status, data)
	}
	var r Reply
	if len(data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	for _, c := range resp.Cookies() {
		if c.Name == "session" {
			r.Cookie, r.SetCookie = c.Value, true
		}
	}
	return &r
}

// Values converts a reply's typed session to Go session values.
func (r *Reply) Values(t *testing.T) map[string]any {
	t.Helper()
	v, err := FromTyped(r.Session)
	if err != nil {
		t.Fatalf("typed session %v: %v", r.Session, err)
	}
	return v.(map[string]any)
}
