package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flaskgo/session"
)

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

func TestNestedManagersWithOneCookieNamePanic(t *testing.T) {
	outer := newManager(t, session.Config{})
	inner := newManager(t, session.Config{})
	h := outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer func() {
		r, _ := recover().(string)
		if !strings.Contains(r, `"session"`) || !strings.Contains(r, "CookieName") {
			t.Errorf("recover() = %q, want a panic naming the cookie and CookieName", r)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("no panic")
}

func TestCookieName(t *testing.T) {
	if got := newManager(t, session.Config{CookieName: "sid"}).CookieName(); got != "sid" {
		t.Errorf("CookieName = %q", got)
	}
	if got := newManager(t, session.Config{}).CookieName(); got != session.DefaultCookieName {
		t.Errorf("default CookieName = %q", got)
	}
}
