package ginsession_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/ginsession"
	"github.com/gin-gonic/gin"
)

const secret = "ginsession test secret, 32 bytes or more"

func init() { gin.SetMode(gin.TestMode) }

// shop is the same little app in every framework test: log in, count,
// flash, log out, answered through gin's own writers.
func shop(r *gin.Engine, from func(c *gin.Context) *session.Session) {
	r.POST("/login", func(c *gin.Context) {
		s := from(c)
		s.Renew()
		s.Set("_user_id", c.Query("user"))
		s.Flash("welcome "+c.Query("user"), "info")
		c.Redirect(http.StatusSeeOther, "/count")
	})
	r.GET("/count", func(c *gin.Context) {
		s := from(c)
		n, _ := session.Get[int](s, "n")
		s.Set("n", n+1)
		c.JSON(http.StatusOK, gin.H{"user": s.GetString("_user_id"), "n": n + 1})
	})
	r.GET("/string", func(c *gin.Context) {
		from(c).Set("via", "string")
		c.String(http.StatusOK, "ok")
	})
	r.GET("/stream", func(c *gin.Context) {
		from(c).Set("via", "stream")
		i := 0
		c.Stream(func(w io.Writer) bool {
			fmt.Fprintf(w, "chunk %d\n", i)
			i++
			return i < 3
		})
	})
	r.GET("/abort", func(c *gin.Context) {
		from(c).Set("via", "abort")
		c.AbortWithStatus(http.StatusForbidden)
	})
	r.GET("/abortjson", func(c *gin.Context) {
		from(c).Set("via", "abortjson")
		c.AbortWithStatusJSON(http.StatusTeapot, gin.H{"error": "no"})
	})
	r.GET("/via", func(c *gin.Context) { c.String(http.StatusOK, from(c).GetString("via")) })
	r.GET("/flashes", func(c *gin.Context) {
		var out []string
		for _, f := range from(c).Flashes() {
			out = append(out, f.Category+":"+f.Message)
		}
		c.String(http.StatusOK, strings.Join(out, ","))
	})
	r.POST("/logout", func(c *gin.Context) {
		from(c).Destroy()
		c.Status(http.StatusNoContent)
	})
}

type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newClient(t *testing.T, h http.Handler) *client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, c: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, nil)
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) cookie() string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == "session" {
			return k.Value
		}
	}
	return ""
}

func TestGinAdapter(t *testing.T) {
	m, err := session.New(session.Config{SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(ginsession.Middleware(m))
	shop(r, ginsession.From)
	c := newClient(t, r)

	if code, body := c.do("POST", "/login?user=ann"); code != 200 || body != `{"n":1,"user":"ann"}` {
		t.Fatalf("login → redirect → count: %d %s", code, body)
	}
	if c.cookie() == "" {
		t.Fatal("no session cookie after login")
	}
	if _, body := c.do("GET", "/count"); body != `{"n":2,"user":"ann"}` {
		t.Errorf("c.JSON: %s", body)
	}
	if _, body := c.do("GET", "/flashes"); body != "info:welcome ann" {
		t.Errorf("flashes: %q", body)
	}
	for _, tc := range []struct {
		path string
		code int
	}{{"/string", 200}, {"/stream", 200}, {"/abort", 403}, {"/abortjson", 418}} {
		code, _ := c.do("GET", tc.path)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.path, code, tc.code)
		}
		if _, via := c.do("GET", "/via"); via != strings.TrimPrefix(tc.path, "/") {
			t.Errorf("%s: the write was lost (via = %q)", tc.path, via)
		}
	}
	if code, _ := c.do("POST", "/logout"); code != http.StatusNoContent || c.cookie() != "" {
		t.Errorf("logout: %d, cookie %q", code, c.cookie())
	}
	if _, body := c.do("GET", "/count"); body != `{"n":1,"user":""}` {
		t.Errorf("after logout: %s", body)
	}
}

// The natural wiring without the adapter loses every write silently: this is
// what the adapter exists for. If gin ever changes so that this wiring
// works, the test says so.
// TestNaiveGinWiringIsLoud wraps m.Handler around c.Next() without the
// adapter: gin's handlers write to c.Writer, around the session writer, so
// the Set-Cookie of a new session cannot be sent. The library cannot save
// that write, but it must not lose it silently: it logs an error and calls
// OnChangeAfterCommit.
func TestNaiveGinWiringIsLoud(t *testing.T) {
	var log strings.Builder
	var reported []error
	m, _ := session.New(session.Config{
		SecretKey:           secret,
		Logger:              slog.New(slog.NewTextHandler(&log, nil)),
		OnChangeAfterCommit: func(r *http.Request, err error) { reported = append(reported, err) },
	})
	r := gin.New()
	r.Use(func(c *gin.Context) {
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			c.Request = req
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/count", func(c *gin.Context) {
		s := session.From(c.Request)
		s.Set("n", 1)
		c.JSON(http.StatusOK, gin.H{"n": 1})
	})
	r.GET("/read", func(c *gin.Context) {
		session.From(c.Request).Get("n") // nothing to send: nothing lost
		c.String(http.StatusOK, "ok")
	})
	c := newClient(t, r)
	if code, _ := c.do("GET", "/count"); code != 200 {
		t.Fatalf("status %d", code)
	}
	if c.cookie() != "" {
		t.Error("the naive wiring kept the write: the adapter may no longer be needed")
	}
	if len(reported) != 1 || !errors.Is(reported[0], session.ErrChangedAfterCommit) || !strings.Contains(reported[0].Error(), "ginsession") {
		t.Errorf("OnChangeAfterCommit got %v, want one ErrChangedAfterCommit naming ginsession", reported)
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "written around") {
		t.Errorf("no error logged: %q", log.String())
	}
	reported = nil
	if code, _ := c.do("GET", "/read"); code != 200 || len(reported) != 0 {
		t.Errorf("a read-only request: status %d, reported %v", code, reported)
	}
}

func TestFromWithoutMiddlewarePanics(t *testing.T) {
	r := gin.New()
	var got any
	r.GET("/", func(c *gin.Context) {
		defer func() { got = recover() }()
		ginsession.From(c)
	})
	newClient(t, r).do("GET", "/")
	if s, _ := got.(string); !strings.Contains(s, "Middleware is not installed") {
		t.Errorf("recover() = %v", got)
	}
}
