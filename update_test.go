package session_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

func TestUpdateWhatTheHandlerSees(t *testing.T) {
	m := newManager(t, session.Config{})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("n", 5)
	}), "session")
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if v, err := session.Update(s, "n", func(old int) int { return old + 1 }); v != 6 || err != nil {
			t.Errorf("Update = %v, %v; want 6", v, err)
		}
		got := s.Update("n", func(old any, ok bool) any {
			n, _ := old.(int)
			return n * 10
		})
		if n, _ := session.Get[int](s, "n"); got != 60 || n != 60 {
			t.Errorf("after two updates: returned %v, Get %d; want 60", got, n)
		}
		if v, err := session.Update(s, "fresh", func(old int) int { return old + 1 }); v != 1 || err != nil {
			t.Errorf("Update of an absent key = %v, %v; want 1", v, err)
		}
		s.Set("text", "abc")
		if _, err := session.Update(s, "text", func(old int) int { return old + 1 }); !errors.Is(err, session.ErrWrongType) || s.GetString("text") != "abc" {
			t.Errorf("Update of a string as int: %v, value %q; want ErrWrongType and no change", err, s.GetString("text"))
		}
	})
}

// Replays keep the request's order: a Set before an Update is the base of
// the replay; a Set after it wins.
func TestUpdateReplayOrder(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("a", 0)
		s.Set("b", 0)
	}), "session")
	inc := func(old int) int { return old + 1 }
	// Each slow request loads, then a fast one commits a change to both keys,
	// then the slow one commits: its replay runs on the fast one's record.
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
			s := session.From(r)
			s.Has("a") // load now
			<-release
			s.Set("a", 100) // the base of the replay
			session.Update(s, "a", inc)
			session.Update(s, "b", inc)
			s.Set("b", 7) // a Set after the Update wins
		})
	}()
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("a", 50)
		s.Set("b", 50)
	})
	close(release)
	wg.Wait()
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		a, _ := session.Get[int](s, "a")
		b, _ := session.Get[int](s, "b")
		if a != 101 || b != 7 {
			t.Errorf("a = %d, b = %d; want 101 (Set 100 then +1) and 7 (Set after Update)", a, b)
		}
	})
}

func TestUpdateAfterClearStartsFromNothing(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("n", 41)
	}), "session")
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Clear()
		session.Update(s, "n", func(old int) int { return old + 1 })
	})
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if n, _ := session.Get[int](session.From(r), "n"); n != 1 {
			t.Errorf("n = %d, want 1 (cleared, then +1)", n)
		}
	})
}
