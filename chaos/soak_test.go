package chaos

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
)

// soakLength is the steady load's length: 30 s in the short form, 5
// minutes in the long one; samples every soakEvery.
func soakLength() (length, every time.Duration) {
	if long() {
		return 5 * time.Minute, 10 * time.Second
	}
	return 30 * time.Second, 3 * time.Second
}

// soakSample is the process at one moment of a soak.
type soakSample struct {
	at         time.Duration
	served     int
	goroutines int
	heap       uint64
}

const soakStoreTimeout = 2 * time.Second

var (
	soaksMu sync.Mutex
	soaks   []string // one line per soak, for the summary
)

// soak runs a steady load on tg and checks that it stays flat: no failed
// request, no loss, the median goroutine count of the second half within one per worker of
// the first half's, and the live heap of the last sample within max(2×, +8 MiB)
// of the first. The heap sampled leaves out the harness's own record of
// every request (40 bytes each, 6 MiB in a 5 minute soak).
func soak(t *testing.T, tg target) {
	length, every := soakLength()
	g0, _ := settle(0)
	st, closeClient := tg.open(t)
	// The soak looks for leaks and drift, not for the store bound (the
	// fault scenarios test that): a 2 s bound keeps a scheduling stall
	// of a shared CI machine from counting as an error.
	m, err := session.New(session.Config{SecretKey: "chaos-harness-secret-key-0123456789", Store: st,
		StoreTimeout: soakStoreTimeout, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	l := newLoad(m, loadSize())
	l.start()
	var samples []soakSample
	start := time.Now()
	for time.Since(start) < length {
		time.Sleep(every)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		served, logBytes := l.logSize()
		samples = append(samples, soakSample{at: time.Since(start).Round(time.Second), served: served,
			goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc - min(ms.HeapAlloc, logBytes)})
	}
	l.stop()
	unverified := l.verify(t, 10*time.Second)
	l.close()
	closeClient()
	g1, _ := settle(g0 + goroutineTolerance)

	ss := l.snapshot()
	failed := map[int]int{}
	var lat []time.Duration
	for _, s := range ss {
		lat = append(lat, s.dur)
		if s.status != 200 {
			failed[s.status]++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "soak %s %v: %d requests (%.0f/s), failed %v, p99 %s, goroutines %d→%d; samples (t, goroutines, heap MiB without the request log):",
		tg.store, length, len(ss), float64(len(ss))/length.Seconds(), failed, ms(p99(lat)), g0, g1)
	for _, s := range samples {
		fmt.Fprintf(&b, " %v %d %.1f;", s.at, s.goroutines, float64(s.heap)/(1<<20))
	}
	t.Log(b.String())
	soaksMu.Lock()
	soaks = append(soaks, b.String())
	soaksMu.Unlock()

	if len(failed) > 0 {
		t.Errorf("failed requests under steady load: %v", failed)
	}
	if n := l.loss.forgot.Load() + l.loss.rolledBack.Load() + l.loss.corrupt.Load(); n > 0 || unverified > 0 {
		t.Errorf("%d sessions lost or corrupted, %d unverified: %v", n, unverified, l.loss.notes)
	}
	// Goroutines under load move with the requests in flight (a spike of
	// several per worker when the machine stalls); a leak raises the
	// floor: the second half's median may not exceed the first half's by
	// more than one per worker.
	first, last := samples[0], samples[len(samples)-1]
	half := len(samples) / 2
	if m1, m2 := median(samples[:half]), median(samples[half:]); m2 > m1+loadSize().workers {
		t.Errorf("goroutines grew under steady load: median %d in the first half, %d in the second", m1, m2)
	}
	if limit := max(2*first.heap, first.heap+8<<20); last.heap > limit {
		t.Errorf("live heap grew from %.1f to %.1f MiB", float64(first.heap)/(1<<20), float64(last.heap)/(1<<20))
	}
	if g1 > g0+goroutineTolerance {
		t.Errorf("goroutines: %d before, %d after the soak", g0, g1)
	}
}

func TestSoak(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		// fsync once a second, the usual production setting: the soak is
		// not about kills, and fsync at every write stalls on a busy disk.
		p := startRedis(t, redisVolatile, "--appendonly", "yes", "--appendfsync", "everysec")
		soak(t, redisTarget("redis (AOF, fsync everysec)", p, true))
	})
	t.Run("postgres", func(t *testing.T) {
		p := startPostgres(t)
		soak(t, sqlTarget("postgres (fsync on)", "pgx", pgDSN(p), sqlstore.Postgres))
	})
}

func median(ss []soakSample) int {
	n := make([]int, 0, len(ss))
	for _, s := range ss {
		n = append(n, s.goroutines)
	}
	slices.Sort(n)
	return n[len(n)/2]
}
