package session_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/signer"
)

func TestInspect(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	ms := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { ms.Close() })
	const oldKey = "an older key, still accepted"
	cases := []struct {
		name string
		cfg  session.Config
		mode session.Mode
	}{
		{"signed", session.Config{Now: c.Now}, session.SignedCookie},
		{"sealed", session.Config{SecretKey: "0123456789abcdef0123456789abcdef", Encrypted: true, Now: c.Now}, session.SealedCookie},
		{"server-side", session.Config{Store: ms, Now: c.Now}, session.ServerSide},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t, tc.cfg)
			if m.Mode() != tc.mode {
				t.Fatalf("Mode = %v, want %v", m.Mode(), tc.mode)
			}
			token, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
				session.From(r).Set("user", "ann")
			}), "session")
			c.Advance(time.Minute)
			in, err := m.Inspect(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if in.Mode != tc.mode || in.Values["user"] != "ann" || in.KeyIndex != 0 {
				t.Errorf("Inspect = %+v", in)
			}
			wantExp := c.Now().Add(-time.Minute).Add(session.DefaultLifetime)
			if d := in.Expires.Sub(wantExp); d < -time.Second || d > time.Second {
				t.Errorf("Expires = %v, want %v", in.Expires, wantExp)
			}
			if tc.mode == session.ServerSide {
				if in.StoreKey == "" || in.StoreKey == token || !in.SignedAt.IsZero() {
					t.Errorf("server-side inspection: StoreKey %q SignedAt %v", in.StoreKey, in.SignedAt)
				}
			} else if d := c.Now().Sub(in.SignedAt); d < time.Minute || d > time.Minute+time.Second {
				t.Errorf("SignedAt = %v, %v ago", in.SignedAt, d)
			}
			// Inspect changes nothing: the token is still the same session.
			again, err := m.Inspect(ctx, token)
			if err != nil || again.Values["user"] != "ann" {
				t.Errorf("second Inspect = %+v, %v", again, err)
			}
			if _, err := m.Inspect(ctx, token[:len(token)-3]+"xyz"); !errors.Is(err, session.ErrInvalidCookie) {
				t.Errorf("tampered token: err = %v, want ErrInvalidCookie", err)
			}
			if _, err := m.Inspect(ctx, ""); !errors.Is(err, session.ErrInvalidCookie) {
				t.Errorf("empty token: err = %v", err)
			}
		})
	}

	t.Run("fallback key", func(t *testing.T) {
		old := newManager(t, session.Config{SecretKey: oldKey, Now: c.Now})
		token, _ := sessionCookie(t, serve(t, old, "", func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Set("a", 1)
		}), "session")
		m := newManager(t, session.Config{FallbackKeys: []string{oldKey}, Now: c.Now})
		in, err := m.Inspect(ctx, token)
		if err != nil || in.KeyIndex != 1 {
			t.Fatalf("Inspect = %+v, %v; want KeyIndex 1", in, err)
		}
	})

	t.Run("idle timeout caps Expires", func(t *testing.T) {
		m := newManager(t, session.Config{IdleTimeout: 10 * time.Minute, Now: c.Now})
		token, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Set("a", 1)
		}), "session")
		in, err := m.Inspect(ctx, token)
		if err != nil || !in.Expires.Equal(in.SignedAt.Add(10*time.Minute)) {
			t.Fatalf("Inspect = %+v, %v; want Expires 10m after SignedAt", in, err)
		}
		c.Advance(11 * time.Minute)
		if _, err := m.Inspect(ctx, token); !errors.Is(err, session.ErrIdleTimeout) {
			t.Fatalf("idle token: err = %v, want ErrIdleTimeout", err)
		}
	})

	t.Run("bad signature reason", func(t *testing.T) {
		m := newManager(t, session.Config{Now: c.Now})
		_, err := m.Inspect(ctx, signWith(t, "another key", `{"a":1}`, c.Now()))
		if !errors.Is(err, signer.ErrBadSignature) {
			t.Fatalf("err = %v, want ErrBadSignature", err)
		}
	})

	t.Run("store outage", func(t *testing.T) {
		m := newManager(t, session.Config{Store: failingStore{ms}, Now: c.Now})
		_, err := m.Inspect(ctx, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
		if !errors.Is(err, session.ErrStore) {
			t.Fatalf("err = %v, want ErrStore", err)
		}
	})
}

func TestModeString(t *testing.T) {
	for mode, want := range map[session.Mode]string{session.SignedCookie: "signed cookie", session.SealedCookie: "sealed cookie", session.ServerSide: "server-side", 0: "Mode(0)"} {
		if got := mode.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(mode), got, want)
		}
	}
}
