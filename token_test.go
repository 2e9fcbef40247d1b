package session_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// bearerAPI is the recipe of the Open/Commit API: clients send
// "Authorization: Bearer <token>" and get the new token in X-Session-Token
// (an empty X-Session-Token means: drop yours).
func bearerAPI(m *session.Manager) http.Handler {
	withSession := func(h func(w http.ResponseWriter, r *http.Request, s *session.Session)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			s := m.Open(r.Context(), token)
			// The handler writes its body into a buffer: the token header
			// must be set before the first byte, and the commit may fail.
			rec := httptest.NewRecorder()
			h(rec, r, s)
			tok, err := m.Commit(r.Context(), s)
			if err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			switch tok.Action {
			case session.TokenSet:
				w.Header().Set("X-Session-Token", tok.Value)
			case session.TokenDelete:
				w.Header().Set("X-Session-Token", "")
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", withSession(func(w http.ResponseWriter, r *http.Request, s *session.Session) {
		s.Renew()
		s.Set("_user_id", r.FormValue("user"))
		s.Flash("welcome", "info")
	}))
	mux.HandleFunc("POST /count", withSession(func(w http.ResponseWriter, r *http.Request, s *session.Session) {
		n, _ := session.Get[int](s, "n")
		s.Set("n", n+1)
		fmt.Fprintf(w, "%s %d", s.GetString("_user_id"), n+1)
	}))
	mux.HandleFunc("GET /flashes", withSession(func(w http.ResponseWriter, r *http.Request, s *session.Session) {
		for _, f := range s.Flashes() {
			fmt.Fprintf(w, "%s:%s;", f.Category, f.Message)
		}
	}))
	mux.HandleFunc("POST /logout", withSession(func(w http.ResponseWriter, r *http.Request, s *session.Session) {
		s.Destroy()
	}))
	mux.HandleFunc("GET /health", withSession(func(w http.ResponseWriter, r *http.Request, s *session.Session) {
		io.WriteString(w, "ok") // never touches the session
	}))
	return mux
}

type apiClient struct {
	t     *testing.T
	url   string
	token string
}

// do sends one request with the client's token and adopts the token the
// server returns. It reports the body and whether a token header came back.
func (c *apiClient) do(method, path string) (string, bool) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	vals, sent := resp.Header["X-Session-Token"]
	if sent {
		c.token = vals[0]
	}
	return string(body), sent
}

func TestBearerTokenAPI(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	for _, tc := range []struct {
		name string
		cfg  session.Config
	}{
		{"signed", session.Config{}},
		{"sealed", session.Config{SecretKey: strongKey, Encrypted: true}},
		{"server-side", session.Config{Store: ms}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t, tc.cfg)
			srv := httptest.NewServer(bearerAPI(m))
			t.Cleanup(srv.Close)
			c := &apiClient{t: t, url: srv.URL}
			if _, sent := c.do("GET", "/health"); sent {
				t.Error("an unused session sent a token")
			}
			if _, sent := c.do("POST", "/login?user=ann"); !sent || c.token == "" {
				t.Fatal("login returned no token")
			}
			first := c.token
			if body, _ := c.do("POST", "/count"); body != "ann 1" {
				t.Errorf("count = %q", body)
			}
			if body, _ := c.do("POST", "/count"); body != "ann 2" {
				t.Errorf("count = %q", body)
			}
			if body, _ := c.do("GET", "/flashes"); body != "info:welcome;" {
				t.Errorf("flashes = %q", body)
			}
			if body, _ := c.do("GET", "/flashes"); body != "" {
				t.Errorf("flashes shown twice: %q", body)
			}
			if _, sent := c.do("GET", "/health"); sent && tc.name == "server-side" {
				t.Error("a server-side session untouched by the handler re-sent its token")
			}
			kept := c.token
			// Login again: Renew gives a new token; server-side the old one dies.
			c.do("POST", "/login?user=ann")
			if c.token == kept {
				t.Error("Renew kept the token")
			}
			if tc.name == "server-side" {
				old := &apiClient{t: t, url: srv.URL, token: first}
				if body, _ := old.do("POST", "/count"); body != " 1" {
					t.Errorf("the token from before Renew still works: %q", body)
				}
			}
			if _, sent := c.do("POST", "/logout"); !sent || c.token != "" {
				t.Errorf("logout: token header sent %v, token %q; want an empty one", sent, c.token)
			}
			if body, _ := c.do("POST", "/count"); body != " 1" {
				t.Errorf("after logout count = %q, want a fresh session", body)
			}
		})
	}
}

func TestOpenIsLazyAndCommitOnce(t *testing.T) {
	var rejected int
	m := newManager(t, session.Config{OnInvalidCookie: func(r *http.Request, err error) {
		if r != nil {
			t.Errorf("OnInvalidCookie got a request outside the middleware")
		}
		rejected++
	}})
	ctx := context.Background()
	s := m.Open(ctx, "garbage.token.value")
	tok, err := m.Commit(ctx, s)
	if err != nil || tok.Action != session.TokenKeep || rejected != 0 {
		t.Fatalf("unused session: %+v, %v, %d rejections; want keep and no decode", tok, err, rejected)
	}
	if _, err := m.Commit(ctx, s); !errors.Is(err, session.ErrCommitted) {
		t.Errorf("second Commit: %v, want ErrCommitted", err)
	}
	s = m.Open(ctx, "garbage.token.value")
	if s.Has("a") || rejected != 1 {
		t.Errorf("bad token: Has(a)=%v, %d rejections", s.Has("a"), rejected)
	}
	if _, err := newManager(t, session.Config{}).Commit(ctx, s); !errors.Is(err, session.ErrNotSupported) {
		t.Errorf("Commit by another Manager: %v", err)
	}
	// Emptied: delete.
	s.Set("a", 1)
	tok, _ = m.Commit(ctx, s)
	s = m.Open(ctx, tok.Value)
	s.Clear()
	if tok, _ := m.Commit(ctx, s); tok.Action != session.TokenDelete || tok.Action.String() != "delete" {
		t.Errorf("cleared session: %+v", tok)
	}
}

// Overlapping commits through Open/Commit merge like the middleware's.
func TestOpenCommitMergesOverlappingWrites(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms})
	ctx := context.Background()
	s := m.Open(ctx, "")
	s.Set("start", true)
	tok, err := m.Commit(ctx, s)
	if err != nil || tok.Action != session.TokenSet {
		t.Fatal(tok, err)
	}
	const n = 50
	sessions := make([]*session.Session, n)
	for i := range sessions {
		sessions[i] = m.Open(ctx, tok.Value)
		sessions[i].Set(fmt.Sprint("k", i), i)
	}
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Commit(ctx, s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := m.Open(ctx, tok.Value).Len(); got != n+1 {
		t.Errorf("%d keys after %d overlapping commits, want %d", got, n, n+1)
	}
}

// A WebSocket handshake reads the session (the cookie travels with the
// Upgrade request) and the middleware commits before the hijack.
func TestWebSocketHandshakeReadsTheSession(t *testing.T) {
	m := newManager(t, session.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("_user_id", "ann")
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		user := session.From(r).GetString("_user_id")
		if user == "" || r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		msg := "hello " + user
		rw.Write([]byte{0x81, byte(len(msg))}) // FIN + text frame, unmasked (server to client)
		rw.WriteString(msg)
		rw.Flush()
	})
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)

	resp, err := http.Post(srv.URL+"/login", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Cookies()[0]

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nCookie: %s=%s\r\n\r\n", key, cookie.Name, cookie.Value)
	br := bufio.NewReader(conn)
	hs, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hs.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status %d", hs.StatusCode)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if hs.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("bad Sec-WebSocket-Accept")
	}
	frame := make([]byte, 2+len("hello ann"))
	if _, err := io.ReadFull(br, frame); err != nil {
		t.Fatal(err)
	}
	if got := string(frame[2:]); frame[0] != 0x81 || got != "hello ann" {
		t.Errorf("frame = %x %q", frame[:2], got)
	}
}
