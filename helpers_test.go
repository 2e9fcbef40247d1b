package session_test

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
)

const testKey = "public-test-secret-1"

// newClock returns the tests' fixed clock.
func newClock() *testenv.Clock { return testenv.NewClock(time.Unix(1700000500, 0)) }

func newManager(t *testing.T, cfg session.Config) *session.Manager {
	t.Helper()
	if cfg.SecretKey == "" {
		cfg.SecretKey = testKey
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// serve runs one request through m with the given session cookie value ("" =
// none) and returns the recorder.
func serve(t *testing.T, m *session.Manager, cookie string, h func(w http.ResponseWriter, r *http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", m.CookieName()+"="+cookie)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(h)).ServeHTTP(rec, req)
	return rec
}

// sessionCookie returns the value of the session cookie set by rec, and
// whether one was set.
func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder, name string) (string, bool) {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

func signWith(t *testing.T, key string, payload string, at time.Time) string {
	t.Helper()
	s, err := signer.New(signer.Config{Keys: [][]byte{[]byte(key)}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Encode([]byte(payload), at)
}

// realServer runs h behind m on a real net/http server.
func realServer(t *testing.T, m *session.Manager, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(m.Handler(h))
	t.Cleanup(srv.Close)
	return srv
}

// incompressible returns n bytes that deflate cannot shrink: a SHA-256 chain.
func incompressible(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += sha256.Size {
		sum := sha256.Sum256(b[:i])
		copy(b[i:], sum[:])
	}
	return b
}
