package session_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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

// A failed commit drops the headers the handler set, not those that outer
// middleware set before the session middleware ran.
func TestFailedCommitKeepsOuterHeaders(t *testing.T) {
	m := newManager(t, session.Config{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, "too big", http.StatusInternalServerError)
	}})
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "dropped")
		session.From(r).Set("big", incompressible(5000))
		w.WriteHeader(http.StatusOK)
	}))
	cors := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Set("X-Request-Id", "req-1")
		app.ServeHTTP(w, r)
	})
	rec := httptest.NewRecorder()
	cors.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want the error handler's 500", rec.Code)
	}
	h := rec.Header()
	if h.Get("Access-Control-Allow-Origin") != "https://app.example" || h.Get("X-Request-Id") != "req-1" {
		t.Errorf("outer middleware's headers lost: %v", h)
	}
	if h.Get("X-Handler") != "" || h.Get("Set-Cookie") != "" {
		t.Errorf("the handler's headers survived the failed commit: %v", h)
	}
}
