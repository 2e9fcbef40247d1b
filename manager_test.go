package session_test

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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
		req.Header.Set("Cookie", m.Config().CookieName+"="+cookie)
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

func TestUntouchedSessionIsNotDecoded(t *testing.T) {
	var rejected int
	m := newManager(t, session.Config{OnInvalidCookie: func(*http.Request, error) { rejected++ }})
	rec := serve(t, m, "garbage.cookie.value", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	if rejected != 0 {
		t.Errorf("cookie was decoded although the handler never used the session")
	}
	if rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("untouched session produced headers: %v", rec.Header())
	}
}

func signWith(t *testing.T, key string, payload string, at time.Time) string {
	t.Helper()
	s, err := signer.New(signer.Config{Keys: [][]byte{[]byte(key)}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Encode([]byte(payload), at)
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

func TestChangeAfterCommitIsReported(t *testing.T) {
	var reported error
	m := newManager(t, session.Config{OnChangeAfterCommit: func(_ *http.Request, err error) { reported = err }})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("early", 1)
		io.WriteString(w, "body")
		s.Set("late", 2)
	})
	if !errors.Is(reported, session.ErrChangedAfterCommit) || !strings.Contains(reported.Error(), `"late"`) {
		t.Fatalf("reported %v", reported)
	}
	value, _ := sessionCookie(t, rec, "session")
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if !s.Has("early") || s.Has("late") {
			t.Errorf("keys %v: want early only", s.Keys())
		}
	})
}

// realServer runs h behind m on a real net/http server.
func realServer(t *testing.T, m *session.Manager, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(m.Handler(h))
	t.Cleanup(srv.Close)
	return srv
}

func TestCommitBeforeFlushAndInformational(t *testing.T) {
	m := newManager(t, session.Config{})
	srv := realServer(t, m, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		s.Set("k", "v")
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		io.WriteString(w, "streamed")
	})
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "streamed" {
		t.Errorf("body %q", body)
	}
	found := false
	for _, c := range resp.Cookies() {
		found = found || c.Name == "session"
	}
	if !found {
		t.Errorf("no session cookie on a flushed response: %v", resp.Header)
	}
}

func TestHijack(t *testing.T) {
	m := newManager(t, session.Config{})
	srv := realServer(t, m, func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("k", "v")
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("ResponseWriter lost http.Hijacker")
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		buf.Flush()
	})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "ok" {
		t.Errorf("hijacked body %q", body)
	}
}

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

func TestGetConversions(t *testing.T) {
	type prefs struct {
		Theme string `json:"theme"`
		Size  int    `json:"size"`
	}
	m := newManager(t, session.Config{})
	value, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("int", 42)
		s.Set("big", uint64(1)<<63)
		s.Set("float", 2.0)
		s.Set("half", 2.5)
		s.Set("str", "x")
		s.Set("prefs", prefs{Theme: "dark", Size: 3})
	}), "session")
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		check := func(name string, got any, err error, want any, wantErr error) {
			t.Helper()
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					t.Errorf("%s: err %v, want %v", name, err, wantErr)
				}
				return
			}
			if err != nil || got != want {
				t.Errorf("%s: %v, %v; want %v", name, got, err, want)
			}
		}
		i, err := session.Get[int](s, "int")
		check("int", i, err, 42, nil)
		i64, err := session.Get[int64](s, "int")
		check("int64", i64, err, int64(42), nil)
		f, err := session.Get[float64](s, "int")
		check("float64 from int", f, err, 42.0, nil)
		u8, err := session.Get[uint8](s, "int")
		check("uint8", u8, err, uint8(42), nil)
		_, err = session.Get[int64](s, "big")
		check("int64 overflow", nil, err, nil, session.ErrWrongType)
		u, err := session.Get[uint64](s, "big")
		check("uint64 big", u, err, uint64(1)<<63, nil)
		i, err = session.Get[int](s, "float")
		check("int from 2.0", i, err, 2, nil)
		_, err = session.Get[int](s, "half")
		check("int from 2.5", nil, err, nil, session.ErrWrongType)
		_, err = session.Get[int](s, "str")
		check("int from string", nil, err, nil, session.ErrWrongType)
		_, err = session.Get[string](s, "nope")
		check("missing", nil, err, nil, session.ErrMissing)
		p, err := session.Get[prefs](s, "prefs")
		check("struct", p, err, prefs{Theme: "dark", Size: 3}, nil)
		_, err = session.Get[prefs](s, "str")
		check("struct from string", nil, err, nil, session.ErrWrongType)
	})
}

func TestFlashes(t *testing.T) {
	m := newManager(t, session.Config{})
	value, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Flash("Welcome back!", "")
		s.Flash("Disk almost full", "warning")
	}), "session")
	rec := serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		got := s.Flashes("warning")
		if len(got) != 1 || got[0] != (session.Flash{Category: "warning", Message: "Disk almost full"}) {
			t.Errorf("filtered flashes %v", got)
		}
		all := s.Flashes()
		if len(all) != 2 || all[0].Category != "message" {
			t.Errorf("all flashes %v", all)
		}
	})
	// Consuming the only key empties the session: Flask deletes the cookie.
	if got := rec.Header().Get("Set-Cookie"); !strings.HasPrefix(got, "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0") {
		t.Errorf("Set-Cookie %q, want a deletion", got)
	}
}

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

func TestConcurrentUseWithinARequest(t *testing.T) {
	m := newManager(t, session.Config{})
	value, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s.Set(strings.Repeat("k", i+1), i)
				s.Get("k")
				s.Keys()
			}(i)
		}
		wg.Wait()
	}), "session")
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		if n := session.From(r).Len(); n != 50 {
			t.Errorf("Len = %d, want 50", n)
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

func TestNestedManagers(t *testing.T) {
	outer := newManager(t, session.Config{CookieName: "a"})
	inner := newManager(t, session.Config{CookieName: "b"})
	rec := httptest.NewRecorder()
	outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer.From(r).Set("who", "outer")
		session.From(r).Set("who", "inner")
	}))).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if _, ok := sessionCookie(t, rec, "a"); !ok {
		t.Error("outer cookie missing")
	}
	if _, ok := sessionCookie(t, rec, "b"); !ok {
		t.Error("inner cookie missing")
	}
}

func TestFromWithoutMiddlewarePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Manager.Handler") {
			t.Errorf("recover() = %v", r)
		}
	}()
	session.From(httptest.NewRequest("GET", "/", nil))
}

func TestUnencodableValueFailsTheCommit(t *testing.T) {
	var got error
	m := newManager(t, session.Config{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "cannot save", http.StatusInternalServerError)
	}})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("ch", make(chan int))
	})
	if rec.Code != 500 || got == nil || !strings.Contains(got.Error(), `"ch"`) {
		t.Errorf("status %d, error %v: want a 500 naming the key", rec.Code, got)
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Error("a cookie was sent for a session that could not be encoded")
	}
}
