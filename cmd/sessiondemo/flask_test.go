package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
)

// systemPython is Debian's interpreter, the one with python3-flask. The
// python3 on PATH may be another installation without Flask.
const systemPython = "/usr/bin/python3"

// requireFlask skips (or, with CI=true, fails) unless systemPython can
// import flask.
func requireFlask(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		testenv.Unavailable(t, "%s is missing (apt-get install python3-flask)", systemPython)
	}
	out, err := exec.Command(systemPython, "-c", "import flask; print(flask.__version__)").CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "%s cannot import flask (apt-get install python3-flask): %v\n%s", systemPython, err, out)
	}
	t.Logf("Flask %s", strings.TrimSpace(string(out)))
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a subprocess's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startFlask runs testdata/flask_cart.py with the demo's secret and waits
// until it answers. It returns the base URL.
func startFlask(t *testing.T, secret string) string {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, systemPython, "testdata/flask_cart.py", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "SESSIONDEMO_SECRET="+secret, "PYTHONUNBUFFERED=1")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting Flask: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel() // kills the process
		<-exited
		if t.Failed() {
			t.Logf("Flask output:\n%s", out.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("Flask exited before answering:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Flask did not answer on %s within 20 s:\n%s", base, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// flaskCart is what the Flask app reports about the session it decoded.
type flaskCart struct {
	Cart       map[string]int `json:"cart"`
	TotalCents int64          `json:"total_cents"`
	User       *string        `json:"user"`
	Theme      *string        `json:"theme"`
	Permanent  bool           `json:"permanent"`
	Keys       []string       `json:"keys"`
}

// TestFlaskReadsGoCart drives the Go demo with a plain HTTP client, sends
// the same cookie to a real Flask app holding the same secret, and checks
// that Flask sees the same cart; then Flask changes the cart and the Go demo
// sees the change.
func TestFlaskReadsGoCart(t *testing.T) {
	requireFlask(t)
	srv := newTestServer(t, "cookie")
	flaskURL := startFlask(t, testSecret)

	c := newClient(t, srv.URL)
	c.login("alice", "wonderland", true)
	c.submit("/prefs", url.Values{"theme": {"dark"}, "lang": {"en"}})
	c.submit("/cart/add", url.Values{"sku": {"tea-sencha"}, "qty": {"2"}})
	c.submit("/cart/add", url.Values{"sku": {"pen-fountain"}})
	goCookie := c.cookie()
	if goCookie == "" {
		t.Fatal("the Go demo set no session cookie")
	}

	// The cookie jar is per host, not per port, so it sends the demo's
	// cookie to Flask as a browser would; set it explicitly all the same.
	get := func() flaskCart {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, flaskURL+"/cart", nil)
		req.Header.Set("Cookie", "session="+goCookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var fc flaskCart
		if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("Flask /cart: status %d, %v", resp.StatusCode, err)
		}
		return fc
	}
	fc := get()
	want := map[string]int{"tea-sencha": 2, "pen-fountain": 1}
	if fmt.Sprint(fc.Cart) != fmt.Sprint(want) {
		t.Fatalf("Flask sees cart %v, want %v (keys %v)", fc.Cart, want, fc.Keys)
	}
	if fc.TotalCents != 2*1250+3900 {
		t.Errorf("Flask prices the cart at %d cents, want 6400", fc.TotalCents)
	}
	if fc.User == nil || *fc.User != "alice" || fc.Theme == nil || *fc.Theme != "dark" || !fc.Permanent {
		t.Errorf("Flask sees user %v, theme %v, permanent %v; want alice, dark, true", fc.User, fc.Theme, fc.Permanent)
	}

	// A cookie signed with another secret is nothing to Flask.
	other := newTestServer(t, "cookie", func(cfg *Config) { cfg.Secret = "another secret" })
	oc := newClient(t, other.URL)
	oc.submit("/cart/add", url.Values{"sku": {"mug-enamel"}})
	goCookie = oc.cookie()
	if fc := get(); len(fc.Cart) != 0 || fc.User != nil {
		t.Errorf("Flask accepted a cookie signed with another secret: %+v", fc)
	}

	// Flask writes, Go reads: the jar takes Flask's Set-Cookie.
	req, _ := http.NewRequest(http.MethodPost, flaskURL+"/cart/add?sku=socks-wool&qty=3", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || c.cookie() == "" {
		t.Fatalf("Flask /cart/add: status %d", resp.StatusCode)
	}
	page := c.get("/cart")
	if page.StatusCode != http.StatusOK || loggedInAs(page.body) != "alice" {
		t.Fatalf("the Go demo rejects Flask's cookie: status %d, user %q\n%s", page.StatusCode, loggedInAs(page.body), srv.logs.String())
	}
	for sku, q := range map[string]int{"tea-sencha": 2, "pen-fountain": 1, "socks-wool": 3} {
		if got := cartQty(t, page.body, sku); got != q {
			t.Errorf("after Flask's change the Go cart has %d × %s, want %d", got, sku, q)
		}
	}
}
