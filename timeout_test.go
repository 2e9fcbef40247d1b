package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// stalledStore never answers: every call waits for its context.
type stalledStore struct{ session.Store }

func (stalledStore) Load(ctx context.Context, _ string) (session.Record, error) {
	<-ctx.Done()
	return session.Record{}, ctx.Err()
}

func (stalledStore) Save(ctx context.Context, _ string, _ session.Record) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestStoreTimeoutBoundsAStalledStore(t *testing.T) {
	const bound = 100 * time.Millisecond
	var got error
	m := newManager(t, session.Config{Store: stalledStore{}, StoreTimeout: bound, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}})
	for _, cookie := range []string{"", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"} {
		got = nil
		start := time.Now()
		rec := serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Set("a", 1) // load (with a cookie), then save
		})
		elapsed := time.Since(start)
		if rec.Code != http.StatusServiceUnavailable || !errors.Is(got, session.ErrStore) || !errors.Is(got, context.DeadlineExceeded) {
			t.Errorf("cookie %q: status %d, err %v; want 503 with ErrStore and DeadlineExceeded", cookie, rec.Code, got)
		}
		// Generous margin: the point is "bounded", not a precise figure.
		if elapsed > bound+2*time.Second {
			t.Errorf("cookie %q: the request took %v with a %v store timeout", cookie, elapsed, bound)
		}
	}
}

func TestDefaultErrorHandlerStatuses(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	store := newManager(t, session.Config{Store: failingStore{ms}})
	rec := serve(t, store, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("a", 1)
	})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("store failure: %d, Retry-After %q; want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	cookie := newManager(t, session.Config{})
	rec = serve(t, cookie, "", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("big", incompressible(5000))
	})
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Retry-After") != "" {
		t.Errorf("cookie too large: %d, Retry-After %q; want 500 and none", rec.Code, rec.Header().Get("Retry-After"))
	}
}

// A client that disconnects after sending its request does not lose the
// change the handler made: the commit is not cancelled with the request.
func TestCommitSurvivesClientDisconnect(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	var failed error
	m := newManager(t, session.Config{Store: ms, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { failed = err }})
	done := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("cart", 0) })
	mux.HandleFunc("/order", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Get("cart")        // loaded while the client is still there
		<-r.Context().Done() // the client went away
		s.Set("cart", 1)     // the order was placed anyway
	})
	app := m.Handler(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.ServeHTTP(w, r) // commits before returning
		if r.URL.Path == "/order" {
			done <- failed
		}
	}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Cookies()[0]

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /order HTTP/1.1\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", c.Name, c.Value)
	time.Sleep(50 * time.Millisecond) // let the handler start
	conn.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("commit after the client left: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never finished")
	}
	var cart int
	serve(t, m, c.Value, func(w http.ResponseWriter, r *http.Request) {
		cart, _ = session.Get[int](session.From(r), "cart")
	})
	if cart != 1 {
		t.Errorf("cart = %d after the disconnected request, want 1 (the change was lost)", cart)
	}
}
