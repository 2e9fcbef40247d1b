package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/flaskgo/session"
)

// The application under load: every visitor (a client with its own cookie)
// increments a counter in its session. The session also holds who owns it
// and a checksum of the counter, so a record that comes back with another
// visitor's data, a counter that does not match its checksum, or a mangled
// payload is seen as corruption, not as a number.
const ownerHeader = "X-Chaos-Visitor"

// payload is a few hundred bytes of per-visitor data, so records are not
// trivially small.
func payload(owner string) string { return strings.Repeat(owner+";", 200/(len(owner)+1)+1) }

func checksum(owner string, n int) string { return owner + "#" + strconv.Itoa(n) }

// app serves /inc (add one, answer the new value) and /get (read only,
// answer the value, 0 for a fresh session). A corrupted session is answered
// with 409 and left alone.
func app() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if s.Err() != nil {
			return // the middleware answers the store failure (503)
		}
		owner := r.Header.Get(ownerHeader)
		n, err := session.Get[int](s, "n")
		fresh := err != nil && !s.Has("owner")
		if !fresh {
			if reason := corruption(s, owner, n, err); reason != "" {
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, reason)
				return
			}
		}
		if r.URL.Path == "/inc" {
			n++
			if fresh {
				s.Set("owner", owner)
				s.Set("payload", payload(owner))
			}
			s.Set("n", n)
			s.Set("sum", checksum(owner, n))
		}
		fmt.Fprint(w, n)
	})
}

// corruption describes what is wrong with a stored session, or "".
func corruption(s *session.Session, owner string, n int, nErr error) string {
	switch {
	case nErr != nil:
		return "counter: " + nErr.Error()
	case s.GetString("owner") != owner:
		return "owned by another visitor"
	case s.GetString("sum") != checksum(owner, n):
		return "checksum does not match the counter"
	case s.GetString("payload") != payload(owner):
		return "payload mangled"
	}
	return ""
}

// visitor is one browser: one request at a time, its own cookie, and the
// last counter value the server acknowledged (a 200 after the commit).
type visitor struct {
	id     string
	cookie string
	ack    int
}

// sample is one request as the client saw it; status 0 is a transport
// error or client timeout.
type sample struct {
	start  time.Time
	dur    time.Duration
	status int
}

// loss counts what the checks found. forgot: a session whose record
// vanished (the counter restarted at 1); rolledBack: a session that came
// back with an older counter than was acknowledged.
type loss struct {
	forgot, rolledBack, corrupt atomic.Int64
	mu                          sync.Mutex
	notes                       []string // the first few, for the log
}

func (l *loss) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.notes) < 5 {
		l.notes = append(l.notes, fmt.Sprintf(format, args...))
	}
}

// loadConfig sizes a load.
type loadConfig struct {
	sessions int
	workers  int
	pause    time.Duration // each worker's pause between requests (keeps 2 shared cores usable)
}

// load drives visitors against a server through a real listener.
type load struct {
	cfg      loadConfig
	srv      *httptest.Server
	hc       *http.Client
	visitors []*visitor
	loss     loss

	mu      sync.Mutex
	samples []sample

	stopped chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// newLoad serves app through m on a loopback listener.
func newLoad(m *session.Manager, cfg loadConfig) *load {
	l := &load{cfg: cfg, srv: httptest.NewServer(m.Handler(app())), stopped: make(chan struct{})}
	l.hc = &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.workers, IdleConnTimeout: 5 * time.Second},
	}
	for i := range cfg.sessions {
		l.visitors = append(l.visitors, &visitor{id: "v" + strconv.Itoa(i)})
	}
	return l
}

// start runs the workers until stop; each worker owns every workers-th
// visitor, so a visitor never has two requests in flight.
func (l *load) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	n, workers := len(l.visitors), l.cfg.workers
	for w := range min(workers, n) {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// Worker w's visitors are w, w+workers, w+2·workers, ... < n:
			// cycling over those alone (not over i mod n, which reaches
			// other workers' visitors when workers does not divide n).
			own := (n - w + workers - 1) / workers
			for k := 0; ctx.Err() == nil; k++ {
				v := l.visitors[w+(k%own)*workers]
				l.inc(ctx, v)
				select {
				case <-ctx.Done():
				case <-time.After(l.cfg.pause):
				}
			}
		}()
	}
}

// stop ends the load and waits for the workers.
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// close shuts the server and the client's idle connections.
func (l *load) close() {
	l.srv.Close()
	l.hc.CloseIdleConnections()
}

// do sends one request for v and returns the status (0: no answer) and body.
func (l *load) do(ctx context.Context, v *visitor, path string) (int, string, *http.Response) {
	req, _ := http.NewRequestWithContext(ctx, "GET", l.srv.URL+path, nil)
	req.Header.Set(ownerHeader, v.id)
	if v.cookie != "" {
		req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: v.cookie})
	}
	resp, err := l.hc.Do(req)
	if err != nil {
		return 0, "", nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, "", nil
	}
	return resp.StatusCode, string(body), resp
}

// inc sends one /inc for v and checks the answer against what was
// acknowledged before.
func (l *load) inc(ctx context.Context, v *visitor) {
	t0 := time.Now()
	status, body, resp := l.do(ctx, v, "/inc")
	if ctx.Err() != nil && status == 0 {
		return // cancelled by stop: not a sample
	}
	l.mu.Lock()
	l.samples = append(l.samples, sample{start: t0, dur: time.Since(t0), status: status})
	l.mu.Unlock()
	switch status {
	case http.StatusOK:
	case http.StatusConflict:
		l.loss.corrupt.Add(1)
		l.loss.note("%s corrupted: %s", v.id, body)
		return
	default:
		return
	}
	for _, c := range resp.Cookies() {
		if c.Name == session.DefaultCookieName {
			v.cookie = c.Value
		}
	}
	n, err := strconv.Atoi(body)
	if err != nil {
		l.loss.corrupt.Add(1)
		l.loss.note("%s: unreadable answer %q", v.id, body)
		return
	}
	l.check(v, n, v.ack+1, 1, "during the load")
	v.ack = n
}

// check compares a counter read back with the last acknowledged one: an
// /inc must answer at least ack+1, a /get at least ack (fresh is what a
// session that vanished answers: 1 and 0). More is fine: a request that
// failed for the client (503 after a store timeout) may still have been
// applied by the store.
func (l *load) check(v *visitor, n, least, fresh int, when string) {
	switch {
	case v.ack == 0 || n >= least:
	case n == fresh:
		l.loss.forgot.Add(1)
		l.loss.note("%s %s: session gone (acknowledged %d)", v.id, when, v.ack)
	default:
		l.loss.rolledBack.Add(1)
		l.loss.note("%s %s: counter went back from %d to %d", v.id, when, v.ack, n)
	}
}

// verify reads every visitor's session once more, after the load, and
// checks it against the acknowledged counter; it retries a visitor whose
// read fails, for up to d in all.
func (l *load) verify(t testing.TB, d time.Duration) (unverified int) {
	t.Helper()
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	work := make(chan *visitor)
	var wg sync.WaitGroup
	for range l.cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range work {
				for {
					status, body, _ := l.do(context.Background(), v, "/get")
					if status == http.StatusOK {
						if n, err := strconv.Atoi(body); err == nil {
							l.check(v, n, v.ack, 0, "after recovery")
						} else {
							l.loss.corrupt.Add(1)
						}
						break
					}
					if status == http.StatusConflict {
						l.loss.corrupt.Add(1)
						l.loss.note("%s corrupted after recovery: %s", v.id, body)
						break
					}
					if time.Now().After(deadline) {
						mu.Lock()
						unverified++
						mu.Unlock()
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	for _, v := range l.visitors {
		if v.ack > 0 {
			work <- v
		}
	}
	close(work)
	wg.Wait()
	return unverified
}

func (l *load) snapshot() []sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sample(nil), l.samples...)
}

// logSize returns how many requests the load has recorded and the bytes
// its record takes (what the soak leaves out of the heap it reports).
func (l *load) logSize() (n int, bytes uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.samples), uint64(cap(l.samples)) * uint64(unsafe.Sizeof(sample{}))
}
