package session_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

func TestTimeouts(t *testing.T) {
	c := newClock()
	set := func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) }
	has := func(want bool) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if got := session.From(r).Has("a"); got != want {
				t.Errorf("at %v: has a = %v, want %v", c.Now(), got, want)
			}
		}
	}
	t.Run("idle", func(t *testing.T) {
		var why error
		m := newManager(t, session.Config{Now: c.Now, IdleTimeout: 10 * time.Minute,
			OnInvalidCookie: func(_ *http.Request, err error) { why = err }})
		value, _ := sessionCookie(t, serve(t, m, "", set), "session")
		c.Advance(9 * time.Minute)
		rec := serve(t, m, value, has(true)) // activity slides the window
		value, ok := sessionCookie(t, rec, "session")
		if !ok {
			t.Fatal("idle timeout: a used session was not re-issued")
		}
		c.Advance(9 * time.Minute)
		serve(t, m, value, has(true))
		c.Advance(11 * time.Minute)
		serve(t, m, value, has(false))
		if !errors.Is(why, session.ErrIdleTimeout) {
			t.Errorf("reason %v", why)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		var why error
		m := newManager(t, session.Config{Now: c.Now, AbsoluteTimeout: time.Hour,
			OnInvalidCookie: func(_ *http.Request, err error) { why = err }})
		value, _ := sessionCookie(t, serve(t, m, "", set), "session")
		for i := 0; i < 5; i++ { // keep it busy: it still ends after an hour
			c.Advance(15 * time.Minute)
			rec := serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
				s := session.From(r)
				s.Set("a", i)
				if s.Len() != 1 && s.Len() != 0 {
					t.Errorf("Len counts the hidden creation time: %v", s.Keys())
				}
			})
			value, _ = sessionCookie(t, rec, "session")
		}
		serve(t, m, value, has(true)) // the 5th request made a fresh session
		if !errors.Is(why, session.ErrAbsoluteTimeout) {
			t.Errorf("reason %v", why)
		}
	})
}

func TestPermanentRefresh(t *testing.T) {
	c := newClock()
	for _, disable := range []bool{false, true} {
		m := newManager(t, session.Config{Now: c.Now, DisableRefresh: disable})
		rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
			session.From(r).SetPermanent(true)
			session.From(r).Set("a", 1)
		})
		value, _ := sessionCookie(t, rec, "session")
		if exp := rec.Result().Cookies()[0].Expires; !exp.Equal(c.Now().Add(31 * 24 * time.Hour)) {
			t.Errorf("Expires %v", exp)
		}
		c.Advance(time.Hour)
		rec = serve(t, m, value, func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("a") })
		_, reissued := sessionCookie(t, rec, "session")
		if reissued == disable {
			t.Errorf("DisableRefresh=%v: re-issued=%v", disable, reissued)
		}
	}
}

// TestPermanentByDefault: Config.Permanent (Flask-Session's
// SESSION_PERMANENT) makes new sessions permanent unless the handler says
// otherwise, in every mode.
func TestPermanentByDefault(t *testing.T) {
	for _, mode := range []struct {
		name  string
		store bool
	}{{"cookie", false}, {"server-side", true}} {
		for _, tc := range []struct {
			name    string
			handler func(s *session.Session)
			want    bool
		}{
			{"new session", func(s *session.Session) { s.Set("cart", 1) }, true},
			{"handler opts out", func(s *session.Session) { s.Set("cart", 1); s.SetPermanent(false) }, false},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				cfg := session.Config{Permanent: true}
				if mode.store {
					ms := memstore.New()
					t.Cleanup(func() { ms.Close() })
					cfg.Store = ms
				}
				m := newManager(t, cfg)
				var before bool
				rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
					s := session.From(r)
					tc.handler(s)
					before = s.Permanent()
				})
				if before != tc.want {
					t.Errorf("Permanent() in the handler = %v, want %v", before, tc.want)
				}
				var ck *http.Cookie
				for _, c := range rec.Result().Cookies() {
					if c.Name == "session" {
						ck = c
					}
				}
				if ck == nil {
					t.Fatal("no session cookie")
				}
				if got := !ck.Expires.IsZero(); got != tc.want {
					t.Errorf("cookie has an expiry: %v, want %v (%s)", got, tc.want, rec.Header().Get("Set-Cookie"))
				}
				var stored bool
				serve(t, m, ck.Value, func(w http.ResponseWriter, r *http.Request) {
					v, ok := session.From(r).Get(session.KeyPermanent)
					stored = ok && v == true
				})
				if stored != tc.want {
					t.Errorf("next request sees _permanent = %v, want %v", stored, tc.want)
				}
			})
		}
	}
	// Off (the default, as plain Flask): a browser-session cookie.
	m := newManager(t, session.Config{})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("cart", 1) })
	if sc := rec.Header().Get("Set-Cookie"); strings.Contains(sc, "Expires=") {
		t.Errorf("without Config.Permanent the cookie has an expiry: %s", sc)
	}
}
