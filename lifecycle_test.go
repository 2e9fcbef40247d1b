package session_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flaskgo/session"
)

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
