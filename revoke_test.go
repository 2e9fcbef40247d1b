package session_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/memstore"
)

// loadCounter counts Load calls of a store.
type loadCounter struct {
	session.Store
	loads atomic.Int64
}

func (c *loadCounter) Load(ctx context.Context, key string) (session.Record, error) {
	c.loads.Add(1)
	return c.Store.Load(ctx, key)
}

func TestRevocationMakesLogoutStick(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  session.Config
	}{
		{"signed", session.Config{}},
		{"sealed", session.Config{SecretKey: strongKey, Encrypted: true}},
	} {
		for _, user := range []string{"ann", ""} {
			t.Run(tc.name+"/user="+user, func(t *testing.T) {
				ms := memstore.New()
				t.Cleanup(func() { ms.Close() })
				cfg := tc.cfg
				var rejected error
				cfg.Revocations = ms
				cfg.OnInvalidCookie = func(r *http.Request, err error) { rejected = err }
				m := newManager(t, cfg)
				cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
					s := session.From(r)
					if user != "" {
						s.Set("_user_id", user)
					}
					s.Set("cart", 3)
				}), "session")
				stolen := cookie // a copy, say from a shared computer
				serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
					s := session.From(r)
					if !s.Has(session.KeySessionID) {
						t.Error("no session id in the payload")
					}
					for _, k := range s.Keys() {
						if k == session.KeySessionID {
							t.Errorf("Keys shows %s", k)
						}
					}
					s.Destroy() // log out
				})
				rejected = nil
				serve(t, m, stolen, func(w http.ResponseWriter, r *http.Request) {
					if session.From(r).Has("cart") {
						t.Error("the copied cookie still works after logout")
					}
				})
				if !errors.Is(rejected, session.ErrRevoked) {
					t.Errorf("replay after logout: rejection %v, want ErrRevoked", rejected)
				}
			})
		}
	}
}

// TestWithoutRevocationACopySurvivesLogout pins the documented limit of
// cookie sessions without Config.Revocations (docs/security.md).
func TestWithoutRevocationACopySurvivesLogout(t *testing.T) {
	m := newManager(t, session.Config{})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("cart", 3)
	}), "session")
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { session.From(r).Destroy() })
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if !session.From(r).Has("cart") {
			t.Error("without revocation a copied cookie was refused after logout: update docs/security.md")
		}
	})
}

func TestRevocationRenewAndAllDevices(t *testing.T) {
	c := testenv.RealClock()
	ms := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Revocations: ms, Now: c.Now})
	login := func() string {
		c, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
			s := session.From(r)
			s.Renew()
			s.Set("_user_id", "ann")
		}), "session")
		return c
	}
	has := func(cookie string) bool {
		var ok bool
		serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { ok = session.From(r).Has("_user_id") })
		return ok
	}
	laptop, phone := login(), login()
	if !has(laptop) || !has(phone) {
		t.Fatal("fresh logins do not work")
	}
	// Renew retires the old cookie.
	renewed, _ := sessionCookie(t, serve(t, m, phone, func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Renew()
	}), "session")
	if has(phone) || !has(renewed) {
		t.Errorf("after Renew: old cookie works %v, new cookie works %v", has(phone), has(renewed))
	}
	// "Log out my other devices" from the laptop, in the very second the
	// phone's cookie was signed: signatures count whole seconds, and the
	// cut-off covers that second too, sparing only the laptop's new cookie.
	newLaptop, _ := sessionCookie(t, serve(t, m, laptop, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if _, err := m.DeleteUserSessions(r.Context(), s.GetString("_user_id"), s); err != nil {
			t.Error(err)
		}
	}), "session")
	if has(renewed) {
		t.Error("the phone is still logged in after 'log out other devices'")
	}
	if newLaptop == "" || !has(newLaptop) {
		t.Error("the laptop lost its own session")
	}
	if has(laptop) {
		t.Error("the laptop's old cookie still works")
	}
	// A device that logs in after the cut-off's second is not affected.
	c.Advance(time.Second)
	if tablet := login(); !has(tablet) {
		t.Error("a login after 'log out other devices' does not work")
	}
	if !has(newLaptop) {
		t.Error("the laptop's new cookie stopped working")
	}
}

func TestRevocationCostsOneReadAndFailsClosed(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	counter := &loadCounter{Store: ms}
	m := newManager(t, session.Config{Revocations: counter})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("_user_id", "ann")
	}), "session")
	counter.loads.Store(0)
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("_user_id") })
	if n := counter.loads.Load(); n != 1 {
		t.Errorf("a read request cost %d revocation reads, want 1", n)
	}
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("untouched")) })
	if n := counter.loads.Load(); n != 1 {
		t.Errorf("an untouched request read the revocation store (%d reads)", n-1)
	}
	broken := newManager(t, session.Config{Revocations: failingStore{ms}})
	rec := serve(t, broken, cookie, func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Has("_user_id") {
			t.Error("the session was accepted without its revocation check")
		}
	})
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("revocation store down: status %d, want 503", rec.Code)
	}
	if _, err := session.New(session.Config{SecretKey: strongKey, Store: ms, Revocations: ms}); !errors.Is(err, session.ErrConfig) {
		t.Errorf("Revocations with a server-side Store: %v, want ErrConfig", err)
	}
}
