package session_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/flaskgo/session"
)

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
