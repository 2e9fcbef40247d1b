package frameworktest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/flaskgo/session"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
)

const secret = "frameworktest secret, 32 bytes or more!"

// Handlers of the scripted visit, the same in every framework.
func login(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	s.Renew()
	s.Set("_user_id", r.URL.Query().Get("user"))
	s.Flash("welcome", "info")
	http.Redirect(w, r, "/count", http.StatusSeeOther)
}

func count(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	n, _ := session.Get[int](s, "n")
	s.Set("n", n+1)
	fmt.Fprintf(w, "%s %d", s.GetString("_user_id"), n+1)
}

func flashes(w http.ResponseWriter, r *http.Request) {
	for _, f := range session.From(r).Flashes() {
		fmt.Fprintf(w, "%s:%s;", f.Category, f.Message)
	}
}

func logout(w http.ResponseWriter, r *http.Request) {
	session.From(r).Destroy()
	w.WriteHeader(http.StatusNoContent)
}

func TestFrameworks(t *testing.T) {
	m, err := session.New(session.Config{SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	routers := map[string]func() http.Handler{
		"net/http ServeMux": func() http.Handler {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /login", login)
			mux.HandleFunc("GET /count", count)
			mux.HandleFunc("GET /flashes", flashes)
			mux.HandleFunc("POST /logout", logout)
			return m.Handler(mux)
		},
		"chi": func() http.Handler {
			r := chi.NewRouter()
			r.Use(m.Handler)
			r.Post("/login", login)
			r.Get("/count", count)
			r.Get("/flashes", flashes)
			r.Post("/logout", logout)
			return r
		},
		"gorilla/mux": func() http.Handler {
			r := mux.NewRouter()
			r.Use(m.Handler)
			r.HandleFunc("/login", login).Methods("POST")
			r.HandleFunc("/count", count).Methods("GET")
			r.HandleFunc("/flashes", flashes).Methods("GET")
			r.HandleFunc("/logout", logout).Methods("POST")
			return r
		},
		"echo": func() http.Handler {
			e := echo.New()
			e.Use(echo.WrapMiddleware(m.Handler))
			e.POST("/login", echo.WrapHandler(http.HandlerFunc(login)))
			e.GET("/count", func(c echo.Context) error {
				// echo's own writer: c.String after the session changed.
				s := session.From(c.Request())
				n, _ := session.Get[int](s, "n")
				s.Set("n", n+1)
				return c.String(http.StatusOK, fmt.Sprintf("%s %d", s.GetString("_user_id"), n+1))
			})
			e.GET("/flashes", echo.WrapHandler(http.HandlerFunc(flashes)))
			e.POST("/logout", func(c echo.Context) error {
				session.From(c.Request()).Destroy()
				return c.NoContent(http.StatusNoContent)
			})
			return e
		},
	}
	for name, build := range routers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(build())
			t.Cleanup(srv.Close)
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			do := func(method, path string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			cookie := func() string {
				u, _ := url.Parse(srv.URL)
				for _, c := range jar.Cookies(u) {
					if c.Name == "session" {
						return c.Value
					}
				}
				return ""
			}
			if code, body := do("POST", "/login?user=ann"); code != 200 || body != "ann 1" {
				t.Fatalf("login → redirect → count: %d %q", code, body)
			}
			if cookie() == "" {
				t.Fatal("no session cookie")
			}
			if _, body := do("GET", "/count"); body != "ann 2" {
				t.Errorf("count = %q", body)
			}
			if _, body := do("GET", "/flashes"); body != "info:welcome;" {
				t.Errorf("flashes = %q", body)
			}
			if code, _ := do("POST", "/logout"); code != http.StatusNoContent || cookie() != "" {
				t.Errorf("logout: %d, cookie %q", code, cookie())
			}
			if _, body := do("GET", "/count"); body != " 1" {
				t.Errorf("after logout: %q", body)
			}
		})
	}
}
