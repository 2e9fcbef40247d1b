package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// concurrentWriters is how many overlapping requests one visitor sends.
const concurrentWriters = 200

// gate holds every request inside its handler, after its session was
// loaded and changed, until all of them got there (or a timeout passes, so
// a broken run cannot hang): the worst case of overlapping requests, such
// as a page firing many XHRs at once.
type gate struct {
	arrived atomic.Int32
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) wait() {
	if g.arrived.Add(1) == concurrentWriters {
		g.once.Do(func() { close(g.open) })
	}
	select {
	case <-g.open:
	case <-time.After(10 * time.Second):
	}
}

// lostUpdates starts a real HTTP server around mw (which wraps a handler
// that stores the key from the query string, then waits at the gate), makes
// one session, fires concurrentWriters overlapping requests with its cookie,
// and returns how many of their keys a final request finds.
func lostUpdates(t *testing.T, wrap func(http.Handler) http.Handler, set func(r *http.Request, key string), keys func(r *http.Request) []string) int {
	t.Helper()
	g := newGate()
	var counted []string
	var mu sync.Mutex
	h := wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/init":
			set(r, "init")
		case "/set":
			set(r, r.URL.Query().Get("k"))
			g.wait()
		case "/count":
			mu.Lock()
			counted = keys(r)
			mu.Unlock()
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrentWriters}}
	defer client.CloseIdleConnections()

	do := func(path, cookie string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		return resp, nil
	}
	resp, err := do("/init", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Cookies()) == 0 {
		t.Fatal("no session cookie from /init")
	}
	cookie := resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value

	var wg sync.WaitGroup
	errs := make(chan error, concurrentWriters)
	for i := 0; i < concurrentWriters; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := do(fmt.Sprintf("/set?k=k%03d", i), cookie); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := do("/count", cookie); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range counted {
		if strings.HasPrefix(k, "k") {
			n++
		}
	}
	return n
}

// TestSCSLostUpdates shows what happens to 200 overlapping requests of one
// visitor under scs: each request saves the whole session it loaded, so the
// last save wins and the other requests' keys are lost.
func TestSCSLostUpdates(t *testing.T) {
	sm := scs.New()
	sm.Store = scsmem.New()
	n := lostUpdates(t, sm.LoadAndSave,
		func(r *http.Request, k string) { sm.Put(r.Context(), k, true) },
		func(r *http.Request) []string { return sm.Keys(r.Context()) })
	t.Logf("scs + memstore: %d of %d concurrent writes survived", n, concurrentWriters)
	if n < 1 || n > concurrentWriters {
		t.Fatalf("%d keys survived, want between 1 and %d", n, concurrentWriters)
	}
}

// TestFlaskgoNoLostUpdates is the same with this library and its memstore:
// a commit replays only the keys its request changed on top of the stored
// record (optimistic versioning), so every write survives.
func TestFlaskgoNoLostUpdates(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	m, err := session.New(session.Config{SecretKey: secretKey, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	n := lostUpdates(t, m.Handler,
		func(r *http.Request, k string) { session.From(r).Set(k, true) },
		func(r *http.Request) []string { return session.From(r).Keys() })
	t.Logf("flaskgo + memstore: %d of %d concurrent writes survived", n, concurrentWriters)
	if n != concurrentWriters {
		t.Fatalf("%d keys survived, want all %d", n, concurrentWriters)
	}
}
