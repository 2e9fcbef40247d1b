package chaos

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// long reports the long form (CHAOS_LONG=1): longer faults, more visitors,
// minutes of soak.
func long() bool { return os.Getenv("CHAOS_LONG") == "1" }

// timing is how long each part of a scenario lasts.
type timing struct {
	before  time.Duration // load before the fault
	hold    time.Duration // how long the store stays down or paused
	settle  time.Duration // load after recovery
	recover time.Duration // the bound on recovery, asserted
}

func timings() timing {
	if long() {
		return timing{before: 5 * time.Second, hold: 10 * time.Second, settle: 10 * time.Second, recover: 30 * time.Second}
	}
	return timing{before: 1500 * time.Millisecond, hold: 2 * time.Second, settle: 2 * time.Second, recover: 15 * time.Second}
}

func loadSize() loadConfig {
	if long() {
		return loadConfig{sessions: 1000, workers: 16, pause: 20 * time.Millisecond}
	}
	return loadConfig{sessions: 200, workers: 12, pause: 20 * time.Millisecond}
}

// marks are the moments a fault sets: when it began and when the store was
// back (restarted, resumed, failed over, given space). For a failover the
// two are the same moment: recovery then counts the whole failover.
type marks struct {
	start, back time.Time
}

// target is one store under test: open builds a client and a Store on the
// servers the test started, and returns what closes the client.
type target struct {
	store string
	// durable: a write the store acknowledged survives this fault, so a
	// lost one fails the test. When false, losses are reported as the
	// store forgetting (memcached, Redis without persistence, async
	// replication), never as corruption, which fails the test always.
	durable bool
	// forgetting names why a non-durable target loses sessions, for the
	// table (default: the store forgot by design).
	forgetting string
	// recover, when longer, replaces the timing's bound on recovery.
	recover time.Duration
	open    func(t testing.TB) (session.Store, func())
}

// result is one row of the table.
type result struct {
	store, fault                      string
	durable                           bool
	forgetting                        string
	served                            int
	failed                            map[int]int // by status, 0: no answer
	failedBefore                      int         // of which before the fault (a loaded machine's stray timeouts)
	p99Before, p99During, p99After    time.Duration
	recovery                          time.Duration
	down                              time.Duration // from the fault to the store being back
	forgot, rolledBack, corrupt       int64
	unverified                        int
	goroutinesBefore, goroutinesAfter int
	heapBefore, heapAfter             uint64
	notes                             []string
}

var (
	resultsMu sync.Mutex
	results   []result
)

// goroutineTolerance is how many goroutines above the baseline still count
// as "back to baseline" (timers and runtime helpers come and go).
const goroutineTolerance = 5

// runFault runs the load against tg, calls inject during it, and checks the
// outcome.
func runFault(t *testing.T, tg target, fault string, inject func(t *testing.T, m *marks)) result {
	tm := timings()
	g0, h0 := settle(0)
	st, closeClient := tg.open(t)
	m, err := session.New(session.Config{SecretKey: "chaos-harness-secret-key-0123456789", Store: st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}) // failures are counted, not logged
	if err != nil {
		t.Fatal(err)
	}
	l := newLoad(m, loadSize())
	l.start()
	time.Sleep(tm.before)
	var mk marks
	inject(t, &mk)
	// Keep the load on until the errors have stopped for settle, within
	// the recovery bound.
	deadline := mk.back.Add(tm.recover)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		last := lastFailure(l.snapshot())
		if time.Since(maxTime(last, mk.back)) >= tm.settle {
			break
		}
	}
	l.stop()
	unverified := l.verify(t, 10*time.Second)
	l.close()
	closeClient()
	g1, h1 := settle(g0 + goroutineTolerance)

	r := summarize(tg, fault, l.snapshot(), mk)
	r.forgot, r.rolledBack, r.corrupt = l.loss.forgot.Load(), l.loss.rolledBack.Load(), l.loss.corrupt.Load()
	r.unverified = unverified
	r.goroutinesBefore, r.goroutinesAfter, r.heapBefore, r.heapAfter = g0, g1, h0, h1
	r.notes = l.loss.notes
	record(r)
	t.Log(r.String())
	for _, n := range r.notes {
		t.Log("  ", n)
	}

	if r.corrupt > 0 {
		t.Errorf("%d corrupted sessions", r.corrupt)
	}
	if tg.durable && r.forgot+r.rolledBack > 0 {
		t.Errorf("%d acknowledged writes lost on a durable store (%d sessions gone, %d rolled back)", r.forgot+r.rolledBack, r.forgot, r.rolledBack)
	}
	if unverified > 0 {
		t.Errorf("%d sessions could not be read back after recovery", unverified)
	}
	bound := max(tm.recover, tg.recover)
	if r.recovery >= bound {
		t.Errorf("not recovered %v after the store was back (bound %v)", r.recovery, bound)
	}
	if g1 > g0+goroutineTolerance {
		t.Errorf("goroutines: %d before, %d after (tolerance %d): a leak", g0, g1, goroutineTolerance)
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
	if r.served == 0 {
		t.Error("no request served")
	}
	return r
}

// settle collects garbage and waits (up to 10s) for the goroutine count to
// fall to want or below (want 0: just measure), then returns the count and
// the live heap.
func settle(want int) (int, uint64) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		n := runtime.NumGoroutine()
		if want == 0 || n <= want || time.Now().After(deadline) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return n, ms.HeapAlloc
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lastFailure(ss []sample) time.Time {
	var last time.Time
	for _, s := range ss {
		if s.status != 200 {
			last = maxTime(last, s.start.Add(s.dur))
		}
	}
	return last
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// summarize splits the samples into before the fault, during it (until the
// last failure or the store's return, whichever is later) and after.
func summarize(tg target, fault string, ss []sample, mk marks) result {
	r := result{store: tg.store, fault: fault, durable: tg.durable, forgetting: tg.forgetting, failed: map[int]int{}}
	end := maxTime(mk.back, lastFailure(ss))
	var before, during, after []time.Duration
	for _, s := range ss {
		if s.status == 200 {
			r.served++
		} else {
			r.failed[s.status]++
		}
		switch {
		case s.start.Before(mk.start):
			before = append(before, s.dur)
			if s.status != 200 {
				r.failedBefore++
			}
		case !s.start.After(end):
			during = append(during, s.dur)
		default:
			after = append(after, s.dur)
		}
	}
	r.p99Before, r.p99During, r.p99After = p99(before), p99(during), p99(after)
	r.down = mk.back.Sub(mk.start)
	if last := lastFailure(ss); last.After(mk.back) {
		r.recovery = last.Sub(mk.back)
	}
	return r
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)*99)/100]
}

func record(r result) {
	resultsMu.Lock()
	results = append(results, r)
	resultsMu.Unlock()
}

func (r result) failures() string {
	if len(r.failed) == 0 {
		return "0"
	}
	codes := make([]int, 0, len(r.failed))
	for c := range r.failed {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%d×%s", r.failed[c], name))
	}
	return strings.Join(parts, " ")
}

// lost describes the sessions lost, telling a store that forgot by design
// from an acknowledged write lost.
func (r result) lost() string {
	n := r.forgot + r.rolledBack
	switch {
	case n == 0:
		return "0"
	case r.durable:
		return fmt.Sprintf("%d ACKNOWLEDGED (%d gone, %d rolled back)", n, r.forgot, r.rolledBack)
	case r.forgetting != "":
		return fmt.Sprintf("%d %s (%d gone, %d rolled back)", n, r.forgetting, r.forgot, r.rolledBack)
	default:
		return fmt.Sprintf("%d forgotten, expected (%d gone, %d rolled back)", n, r.forgot, r.rolledBack)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func (r result) String() string {
	return fmt.Sprintf("%s / %s: store down %s, served %d, failed %s (%d before the fault), p99 before %s, during %s, after %s, recovered %s after the store was back, lost %s, corrupted %d, goroutines %d→%d, heap %.1f→%.1f MiB",
		r.store, r.fault, ms(r.down), r.served, r.failures(), r.failedBefore, ms(r.p99Before), ms(r.p99During), ms(r.p99After), ms(r.recovery), r.lost(), r.corrupt,
		r.goroutinesBefore, r.goroutinesAfter, float64(r.heapBefore)/(1<<20), float64(r.heapAfter)/(1<<20))
}

// table renders every result as the Markdown table of docs/reliability.md.
func table(rs []result) string {
	var b strings.Builder
	b.WriteString("| store | fault | store down | served | failed (by status) | p99 before | p99 during | p99 after | recovery | lost | corrupted | goroutines | heap MiB |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %d | %d→%d | %.1f→%.1f |\n",
			r.store, r.fault, ms(r.down), r.served, r.failures(), ms(r.p99Before), ms(r.p99During), ms(r.p99After), ms(r.recovery),
			r.lost(), r.corrupt, r.goroutinesBefore, r.goroutinesAfter, float64(r.heapBefore)/(1<<20), float64(r.heapAfter)/(1<<20))
	}
	return b.String()
}
