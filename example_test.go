package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

func Example() {
	m, err := session.New(session.Config{
		SecretKey: "public-test-secret-1",
		Now:       func() time.Time { return time.Unix(1700000000, 0) }, // for a stable output
	})
	if err != nil {
		panic(err)
	}
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		visits, _ := session.Get[int](s, "visits")
		s.Set("visits", visits+1)
		fmt.Fprintf(w, "visit %d", visits+1)
	}))

	// First visit: no cookie.
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Body.String())
	fmt.Println(rec.Header().Get("Set-Cookie"))

	// Second visit with the cookie Flask would also accept.
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output:
	// visit 1
	// session=eyJ2aXNpdHMiOjF9.ZVPxAA.x1IKlEL9goU74DxIpTgS09hILHs; HttpOnly; Path=/; SameSite=Lax
	// visit 2
}

func ExampleGet() {
	m, _ := session.New(session.Config{SecretKey: "k"})
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("user_id", 42)
		id, err := session.Get[int64](s, "user_id")
		fmt.Println(id, err)
		_, err = session.Get[string](s, "user_id")
		fmt.Println(err)
		_, err = session.Get[string](s, "missing")
		fmt.Println(err)
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Output:
	// 42 <nil>
	// session: value has another type: "user_id" holds int, want string: not a string
	// session: key not present: "missing"
}

func ExampleSession_Flash() {
	m, _ := session.New(session.Config{SecretKey: "k"})
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if r.URL.Path == "/save" {
			s.Flash("Profile saved", "success")
			return
		}
		for _, f := range s.Flashes() {
			fmt.Fprintf(w, "%s: %s", f.Category, f.Message)
		}
	}))
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("POST", "/save", nil))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	fmt.Println(string(body))
	// Output: success: Profile saved
}

func ExampleManager_DeleteUserSessions() {
	store := memstore.New()
	defer store.Close()
	m, _ := session.New(session.Config{SecretKey: "k", Store: store})
	login := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Renew() // a new id on every change of privilege
		s.Set("_user_id", "alice")
	}))
	// Alice logs in from three devices.
	var cookies []*http.Cookie
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		login.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
		cookies = append(cookies, rec.Result().Cookies()[0])
	}
	// On the first device she clicks "log out my other devices".
	logoutOthers := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		n, err := m.DeleteUserSessions(r.Context(), s.GetString("_user_id"), s)
		fmt.Println("ended", n, err)
	}))
	req := httptest.NewRequest("POST", "/devices/logout-others", nil)
	req.AddCookie(cookies[0])
	logoutOthers.ServeHTTP(httptest.NewRecorder(), req)
	// Output: ended 2 <nil>
}

// Sessions without the middleware, for API clients that send their session
// in a header: Open the token, use the session, Commit, and send the
// client its new token.
func ExampleManager_Open() {
	m, _ := session.New(session.Config{SecretKey: "a long random secret, 32 bytes or more"})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s := m.Open(r.Context(), token)
		n, _ := session.Get[int](s, "calls")
		s.Set("calls", n+1)
		tok, err := m.Commit(r.Context(), s)
		if err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if tok.Action == session.TokenSet {
			w.Header().Set("X-Session-Token", tok.Value)
		}
		fmt.Fprintf(w, "call %d", n+1)
	})
	var token string
	for i := 0; i < 3; i++ {
		req := httptest.NewRequest("GET", "/api", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		token = rec.Header().Get("X-Session-Token")
		fmt.Println(rec.Body.String())
	}
	// Output:
	// call 1
	// call 2
	// call 3
}
