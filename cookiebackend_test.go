package session_test

import (
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/seal"
	"github.com/flaskgo/session/signer"
)

func TestRoundTrip(t *testing.T) {
	m := newManager(t, session.Config{})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("user_id", 42)
		s.Set("name", "Zoë")
		s.Set("tags", []any{"a", session.Tuple{int64(1), 2.5}})
	})
	value, ok := sessionCookie(t, rec, "session")
	if !ok {
		t.Fatalf("no cookie set: %v", rec.Header())
	}
	if got := rec.Header().Get("Vary"); got != "Cookie" {
		t.Errorf("Vary = %q, want Cookie", got)
	}
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		id, err := session.Get[int](s, "user_id")
		if err != nil || id != 42 {
			t.Errorf("user_id = %v, %v", id, err)
		}
		if got := s.GetString("name"); got != "Zoë" {
			t.Errorf("name = %q", got)
		}
		tags, _ := s.Get("tags")
		list, ok := tags.([]any)
		if !ok || len(list) != 2 {
			t.Fatalf("tags = %#v", tags)
		}
		if tup, ok := list[1].(session.Tuple); !ok || tup[0] != int64(1) || tup[1] != 2.5 {
			t.Errorf("tuple = %#v", list[1])
		}
		if got := s.Keys(); strings.Join(got, ",") != "name,tags,user_id" {
			t.Errorf("Keys = %v", got)
		}
		if s.Info().New {
			t.Error("Info().New for a valid cookie")
		}
	})
}

func TestBadCookiesGiveEmptySession(t *testing.T) {
	c := newClock()
	now := c.Now()
	good := signWith(t, testKey, `{"a":1}`, now)
	cases := []struct {
		name   string
		cookie string
		reason error
	}{
		{"tampered payload", "eyJhIjoyfQ" + good[strings.Index(good, "."):], signer.ErrBadSignature},
		{"tampered signature", good[:len(good)-2] + "AA", signer.ErrBadSignature},
		{"wrong key", signWith(t, "other-key", `{"a":1}`, now), signer.ErrBadSignature},
		{"expired", signWith(t, testKey, `{"a":1}`, now.Add(-32*24*time.Hour)), signer.ErrExpired},
		{"future", signWith(t, testKey, `{"a":1}`, now.Add(time.Second)), signer.ErrExpired},
		{"truncated", good[:len(good)/2], nil},
		{"no dots", "abcdef", nil},
		{"bad base64", "!!!." + good[strings.Index(good, ".")+1:], nil},
		{"garbage json under a valid signature", signWith(t, testKey, `{"a":`, now), nil},
		{"json array under a valid signature", signWith(t, testKey, `[1,2]`, now), nil},
		{"invalid utf-8 under a valid signature", signWith(t, testKey, "{\"a\":\"\xff\"}", now), nil},
		{"huge", strings.Repeat("A", 100000) + good, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var why error
			m := newManager(t, session.Config{Now: c.Now, OnInvalidCookie: func(_ *http.Request, err error) { why = err }})
			rec := serve(t, m, tc.cookie, func(w http.ResponseWriter, r *http.Request) {
				if n := session.From(r).Len(); n != 0 {
					t.Errorf("session has %d keys, want 0", n)
				}
			})
			if rec.Code != 200 {
				t.Errorf("status %d", rec.Code)
			}
			if !errors.Is(why, session.ErrInvalidCookie) {
				t.Errorf("OnInvalidCookie got %v, want ErrInvalidCookie", why)
			}
			if tc.reason != nil && !errors.Is(why, tc.reason) {
				t.Errorf("reason %v, want %v", why, tc.reason)
			}
			if rec.Header().Get("Set-Cookie") != "" {
				t.Errorf("a read-only request re-sent a cookie: %v", rec.Header())
			}
		})
	}
}

func TestFallbackKeyCookieIsReissued(t *testing.T) {
	c := newClock()
	old := signWith(t, "old-key", `{"a":1}`, c.Now())
	m := newManager(t, session.Config{SecretKey: "new-key", FallbackKeys: []string{"old-key"}, Now: c.Now})
	rec := serve(t, m, old, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if v, _ := session.Get[int](s, "a"); v != 1 {
			t.Errorf("a = %v", v)
		}
		if s.Info().KeyIndex != 1 {
			t.Errorf("KeyIndex = %d, want 1", s.Info().KeyIndex)
		}
	})
	value, ok := sessionCookie(t, rec, "session")
	if !ok {
		t.Fatal("cookie verified by a fallback key was not re-issued")
	}
	newOnly, _ := signer.New(signer.Config{Keys: [][]byte{[]byte("new-key")}})
	if _, _, _, err := newOnly.Decode(value, time.Hour, c.Now()); err != nil {
		t.Errorf("re-issued cookie not signed by the current key: %v", err)
	}
}

func TestCookieTooLarge(t *testing.T) {
	big := strings.Repeat("x", 5000) // incompressible enough? random below
	rnd := make([]byte, 4000)        // incompressible: a SHA-256 chain
	for i := 0; i < len(rnd); i += sha256.Size {
		sum := sha256.Sum256(rnd[:i])
		copy(rnd[i:], sum[:])
	}
	var got error
	m := newManager(t, session.Config{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "too big", http.StatusInsufficientStorage)
	}})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("blob", rnd)
		session.From(r).Set("pad", big)
		w.Header().Set("X-App", "1")
		io.WriteString(w, "the app's body")
	})
	var tooLarge *session.CookieTooLargeError
	if !errors.As(got, &tooLarge) || !errors.Is(got, session.ErrTooLarge) {
		t.Fatalf("error handler got %v, want *CookieTooLargeError", got)
	}
	if tooLarge.Size <= 4096 || tooLarge.Limit != 4096 {
		t.Errorf("size %d limit %d", tooLarge.Size, tooLarge.Limit)
	}
	if rec.Code != http.StatusInsufficientStorage || rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("X-App") != "" {
		t.Errorf("response: %d %v", rec.Code, rec.Header())
	}
	if strings.Contains(rec.Body.String(), "the app's body") {
		t.Error("the app's body leaked into the error response")
	}

	// Default handler: 500.
	m2 := newManager(t, session.Config{})
	rec = serve(t, m2, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("blob", rnd)
		session.From(r).Set("pad", big)
	})
	if rec.Code != 500 || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("default handler: %d %v", rec.Code, rec.Header())
	}
}

func TestEncrypted(t *testing.T) {
	c := newClock()
	m := newManager(t, session.Config{Encrypted: true, Now: c.Now, SecretKey: "0123456789abcdef0123456789abcdef"})
	value, ok := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("secret", "the cake is a lie")
	}), "session")
	if !ok {
		t.Fatal("no cookie")
	}
	if strings.Contains(value, "eyJ") {
		t.Errorf("encrypted cookie looks like base64 JSON: %s", value)
	}
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		if got := session.From(r).GetString("secret"); got != "the cake is a lie" {
			t.Errorf("secret = %q", got)
		}
	})
	tampered := []byte(value)
	tampered[len(tampered)/2] ^= 1
	serve(t, m, string(tampered), func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Len() != 0 {
			t.Error("tampered sealed cookie accepted")
		}
	})
	c.Advance(32 * 24 * time.Hour)
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Len() != 0 {
			t.Error("expired sealed cookie accepted")
		}
	})
}

// A sealed cookie is bound to its cookie name: replayed into another
// Manager's cookie that shares the key, it is rejected.
func TestSealedCookieIsBoundToItsName(t *testing.T) {
	a := newManager(t, session.Config{SecretKey: strongKey, Encrypted: true, CookieName: "a"})
	var rejected error
	b := newManager(t, session.Config{SecretKey: strongKey, Encrypted: true, CookieName: "b",
		OnInvalidCookie: func(r *http.Request, err error) { rejected = err }})
	token, _ := sessionCookie(t, serve(t, a, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("role", "admin")
	}), "a")
	serve(t, b, token, func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Has("role") {
			t.Error("a token sealed for cookie a opened as cookie b")
		}
	})
	if !errors.Is(rejected, seal.ErrDecrypt) {
		t.Errorf("rejection = %v, want seal.ErrDecrypt", rejected)
	}
	serve(t, a, token, func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).GetString("role") != "admin" {
			t.Error("the token does not open under its own name")
		}
	})
}
