package session_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  session.Config
	}{
		{"empty secret", session.Config{}},
		{"empty fallback", session.Config{SecretKey: "k", FallbackKeys: []string{""}}},
		{"__Host- with domain", session.Config{SecretKey: "k", CookieName: "__Host-s", Secure: true, Domain: "example.com"}},
		{"__Host- without secure", session.Config{SecretKey: "k", CookieName: "__Host-s"}},
		{"__Host- with path", session.Config{SecretKey: "k", CookieName: "__Host-s", Secure: true, Path: "/app"}},
		{"SameSite=None without secure", session.Config{SecretKey: "k", SameSite: http.SameSiteNoneMode}},
		{"partitioned without secure", session.Config{SecretKey: "k", Partitioned: true}},
		{"bad cookie name", session.Config{SecretKey: "k", CookieName: "a b"}},
		{"negative idle", session.Config{SecretKey: "k", IdleTimeout: -1}},
		{"tiny lifetime", session.Config{SecretKey: "k", Lifetime: time.Millisecond}},
		{"Domain injecting an attribute", session.Config{SecretKey: "k", Domain: "example.com; SameSite=None"}},
		{"Domain with a space", session.Config{SecretKey: "k", Domain: "exa mple.com"}},
		{"Domain with a bad label", session.Config{SecretKey: "k", Domain: "-example.com"}},
		{"Domain an IPv6 address", session.Config{SecretKey: "k", Domain: "::1"}},
		{"Path injecting a Domain", session.Config{SecretKey: "k", Path: "/; Domain=evil.example"}},
		{"Path with a newline", session.Config{SecretKey: "k", Path: "/a\nb"}},
		{"Path not absolute", session.Config{SecretKey: "k", Path: "app"}},
		{"SameSite out of range", session.Config{SecretKey: "k", SameSite: http.SameSite(7)}},
		{"negative MaxCookieSize", session.Config{SecretKey: "k", MaxCookieSize: -1}},
		{"huge MaxCookieSize", session.Config{SecretKey: "k", MaxCookieSize: session.MaxCookieSizeLimit + 1}},
		{"weak key with RequireStrongKeys", session.Config{SecretKey: "dev", RequireStrongKeys: true}},
		{"weak fallback with RequireStrongKeys", session.Config{SecretKey: strongKey, FallbackKeys: []string{"old"}, RequireStrongKeys: true}},
		{"no secret for signed ids", session.Config{Store: memstore.New(), SignIDs: true}},
		{"fallbacks without a secret", session.Config{Store: memstore.New(), FallbackKeys: []string{strongKey}}},
		{"NoKeyPrefix with KeyPrefix", session.Config{SecretKey: "k", Store: memstore.New(), NoKeyPrefix: true, KeyPrefix: "x:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := session.New(tc.cfg); !errors.Is(err, session.ErrConfig) {
				t.Errorf("New = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := session.New(session.Config{SecretKey: "k", CookieName: "__Host-s", Secure: true, Partitioned: true, SameSite: http.SameSiteNoneMode}); err != nil {
		t.Errorf("valid __Host- config rejected: %v", err)
	}
}

const strongKey = "0123456789abcdef0123456789abcdef-strong"

func TestConfigAccepts(t *testing.T) {
	cases := []struct {
		name string
		cfg  session.Config
	}{
		{"domain with a leading dot", session.Config{SecretKey: strongKey, Domain: ".example.com"}},
		{"IPv4 domain", session.Config{SecretKey: strongKey, Domain: "127.0.0.1"}},
		{"SameSite unset (Flask's default)", session.Config{SecretKey: strongKey, SameSite: http.SameSiteDefaultMode}},
		{"strict", session.Config{SecretKey: strongKey, SameSite: http.SameSiteStrictMode}},
		{"a path", session.Config{SecretKey: strongKey, Path: "/app/"}},
		{"memstore without a secret: nothing is signed", session.Config{Store: memstore.New()}},
		{"strong keys required and given", session.Config{SecretKey: strongKey, FallbackKeys: []string{strongKey + "2"}, RequireStrongKeys: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := session.New(tc.cfg); err != nil {
				t.Errorf("New = %v", err)
			}
		})
	}
}

func TestWeakKeyWarns(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := session.New(session.Config{SecretKey: "dev", FallbackKeys: []string{strongKey, "old"}, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Count(out, "weak secret key") != 2 || !strings.Contains(out, "key=SecretKey") || !strings.Contains(out, "key=FallbackKeys[1]") {
		t.Errorf("want one warning for SecretKey and one for FallbackKeys[1], got:\n%s", out)
	}
	if strings.Contains(out, "dev") || strings.Contains(out, "old") {
		t.Errorf("a warning shows the key itself:\n%s", out)
	}
	logs.Reset()
	if _, err := session.New(session.Config{SecretKey: strongKey, Logger: logger}); err != nil || logs.Len() != 0 {
		t.Errorf("strong key: err %v, logs %q", err, logs.String())
	}
}

func TestNoSecretWhenNothingIsSigned(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m, err := session.New(session.Config{Store: ms})
	if err != nil {
		t.Fatal(err)
	}
	id, ok := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) }), "session")
	if !ok {
		t.Fatal("no cookie")
	}
	serve(t, m, id, func(w http.ResponseWriter, r *http.Request) {
		if n, _ := session.Get[int](session.From(r), "a"); n != 1 {
			t.Errorf("a = %d after a round trip", n)
		}
	})
}
