// Command benchhttp is the HTTP load benchmark: real servers on loopback for
// this library (signed cookie; redisstore; sqlstore on PostgreSQL), scs v2 +
// its redisstore, gorilla/sessions' CookieStore and Flask under gunicorn,
// driven by wrk for a bounded time per cell: one hot session and many
// sessions, writes (counter+1) and reads. It prints req/s, p99 latency, the
// ratio to scs + redisstore, Redis commands per request and, for writes, the
// counter check: increments requested (2xx responses) against increments
// kept (the counters read back through each server).
//
// Run it from the bench module (or `make bench-http` at the repository
// root):
//
//	go run ./cmd/benchhttp [-d 5s] [-libs ours-redis,scs-redis] [-cells hot-write]
//
// It needs wrk and redis-server (it starts its own, without persistence);
// PostgreSQL and gunicorn + Flask are optional (skipped with the reason).
// See ../../README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// cell is one workload.
type cell struct {
	name  string
	hot   bool // one session, else all of them
	write bool
}

var allCells = []cell{
	{"hot-write", true, true},
	{"many-write", false, true},
	{"hot-read", true, false},
	{"many-read", false, false},
}

// target is one server under load.
type target struct {
	key, name  string
	url        string
	cookieMode bool // the session travels in the cookie
	redis      bool // uses the harness's Redis (commands per request)
	cookies    []string
	cookieFile string
}

const baseline = "scs-redis"

type options struct {
	d, warmup                  time.Duration
	conns, threads, sessions   int
	libs, cells                map[string]bool
	portBase, redisPort        int
	pgDSN, redisBin, wrkBin    string
	flaskWorkers, flaskThreads int
	pgConns, repeat            int
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func set(list string) map[string]bool {
	if list == "" || list == "all" {
		return nil
	}
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

func main() {
	var o options
	d, err := time.ParseDuration(envOr("BENCH_DURATION", "5s"))
	if err != nil {
		fatalf("BENCH_DURATION: %v", err)
	}
	flag.DurationVar(&o.d, "d", d, "wrk duration of each cell (env BENCH_DURATION)")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "wrk warm-up of each server before the cells (0: none)")
	flag.IntVar(&o.conns, "c", 32, "wrk connections")
	flag.IntVar(&o.threads, "t", 2, "wrk threads")
	flag.IntVar(&o.sessions, "sessions", 256, "sessions of the many-session cells")
	libs := flag.String("libs", envOr("BENCH_LIBS", "all"), "comma-separated servers: ours-cookie,ours-redis,ours-postgres,scs-redis,gorilla-cookie,flask-cookie (env BENCH_LIBS)")
	cells := flag.String("cells", envOr("BENCH_CELLS", "all"), "comma-separated cells: hot-write,many-write,hot-read,many-read (env BENCH_CELLS)")
	flag.IntVar(&o.portBase, "port-base", 18400, "the servers listen on port-base+1, +2, ...")
	flag.IntVar(&o.redisPort, "redis-port", 18479, "port of the private redis-server the harness starts")
	flag.StringVar(&o.pgDSN, "pg", envOr("PG_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL DSN (env PG_DSN); table "+pgTable+" is created and dropped")
	flag.StringVar(&o.redisBin, "redis-server", "redis-server", "redis-server binary")
	flag.StringVar(&o.wrkBin, "wrk", "wrk", "wrk binary")
	flag.IntVar(&o.flaskWorkers, "flask-workers", 2, "gunicorn worker processes")
	flag.IntVar(&o.flaskThreads, "flask-threads", 4, "threads per gunicorn gthread worker")
	flag.IntVar(&o.pgConns, "pg-conns", 16, "database/sql pool size for sqlstore")
	flag.IntVar(&o.repeat, "repeat", 1, "rounds of every cell (odd rounds in reverse server order); more than one adds a table of medians")
	pin := flag.Bool("pin", false, "run the Go servers on the last CPU and wrk, redis-server and gunicorn on the others (needs taskset)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (the Go servers run in this process) to this file")
	flag.Parse()
	if *pin {
		if err := pinSelf(); err != nil {
			fatalf("%v", err)
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fatalf("cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.repeat < 1 {
		o.repeat = 1
	}
	o.libs, o.cells = set(*libs), set(*cells)
	if err := run(o); err != nil {
		pprof.StopCPUProfile()
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchhttp: "+format+"\n", args...)
	os.Exit(1)
}

func run(o options) error {
	wrkBin, err := exec.LookPath(o.wrkBin)
	if err != nil {
		return fmt.Errorf("wrk not found (apt-get install wrk): %w", err)
	}
	dir, err := os.MkdirTemp("", "benchhttp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w, err := newWrkRunner(wrkBin, dir, o.threads, o.conns)
	if err != nil {
		return err
	}

	targets, rdb, cleanup := startTargets(o, dir)
	defer cleanup()
	if len(targets) == 0 {
		return errors.New("no server to measure")
	}
	for _, t := range targets {
		if err := seed(t, o.sessions, dir); err != nil {
			return fmt.Errorf("%s: seed: %w", t.name, err)
		}
	}
	pinning := ""
	if loadCPUs != "" {
		pinning = fmt.Sprintf(" (pinned: servers on 1 CPU, wrk and Redis on CPU %s)", loadCPUs)
	}
	fmt.Printf("benchhttp: %s, %d CPUs%s, GOMAXPROCS %d, %s; wrk -t%d -c%d, %v per cell, %d sessions\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), pinning, runtime.GOMAXPROCS(0), runtime.Version(),
		o.threads, o.conns, o.d, o.sessions)
	if o.warmup > 0 {
		for _, t := range targets {
			if _, err := w.run(t.url+"/write", t.cookieFile, false, false, o.warmup); err != nil {
				return fmt.Errorf("%s: warm-up: %w", t.name, err)
			}
		}
	}

	var rounds [][]result
	for round := 0; round < o.repeat; round++ {
		var results []result
		for _, c := range allCells {
			if o.cells != nil && !o.cells[c.name] {
				continue
			}
			// Odd rounds run the servers in reverse order, so that no
			// server always follows the same neighbour.
			for k := range targets {
				t := targets[k]
				if round%2 == 1 {
					t = targets[len(targets)-1-k]
				}
				r, err := measure(w, rdb, t, c, o.d)
				if err != nil {
					return fmt.Errorf("%s %s: %w", t.name, c.name, err)
				}
				results = append(results, r)
				fmt.Fprintf(os.Stderr, "  round %d %-10s %-26s %9.0f req/s\n", round+1, c.name, t.name, r.wrk.rps())
			}
		}
		rounds = append(rounds, results)
	}
	if len(rounds) == 1 {
		printTable(os.Stdout, rounds[0])
	} else {
		for i, results := range rounds {
			fmt.Printf("\nround %d\n\n", i+1)
			printTable(os.Stdout, results)
		}
		fmt.Printf("\nmedian of %d rounds (req/s with its p99 and Redis commands; × scs: median of the rounds' ratios; requested and kept summed)\n\n", len(rounds))
		printTable(os.Stdout, median(rounds))
	}
	printNotes(os.Stdout)
	return nil
}

// median merges rounds into one result per cell and target: the median
// req/s (its p99 with it), the counter check summed.
func median(rounds [][]result) []result {
	type key struct{ cell, target string }
	var order []key
	all := map[key][]result{}
	for _, results := range rounds {
		for _, r := range results {
			k := key{r.cell.name, r.target.key}
			if _, ok := all[k]; !ok {
				order = append(order, k)
			}
			all[k] = append(all[k], r)
		}
	}
	// Each round's ratio comes from a pair measured seconds apart; their
	// median is fairer on a busy machine than the ratio of medians.
	ratios := map[key][]float64{}
	for _, results := range rounds {
		base := map[string]float64{}
		for _, r := range results {
			if r.target.key == baseline {
				base[r.cell.name] = r.wrk.rps()
			}
		}
		for _, r := range results {
			if b := base[r.cell.name]; b > 0 {
				k := key{r.cell.name, r.target.key}
				ratios[k] = append(ratios[k], r.wrk.rps()/b)
			}
		}
	}
	var out []result
	for _, k := range order {
		rs := all[k]
		sort.Slice(rs, func(i, j int) bool { return rs[i].wrk.rps() < rs[j].wrk.rps() })
		m := rs[len(rs)/2]
		m.wrk.ok2xx, m.wrk.non2xx, m.kept = 0, 0, 0
		m.wrk.errors = ""
		for _, r := range rs {
			m.wrk.ok2xx += r.wrk.ok2xx
			m.wrk.non2xx += r.wrk.non2xx
			m.kept += r.kept
		}
		if rt := ratios[k]; len(rt) > 0 {
			sort.Float64s(rt)
			m.ratio = rt[len(rt)/2]
		}
		out = append(out, m)
	}
	return out
}

// startTargets starts every selected server, printing why one is skipped.
func startTargets(o options, dir string) ([]*target, *redis.Client, func()) {
	var targets []*target
	var stops []func()
	cleanup := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	want := func(key string) bool { return o.libs == nil || o.libs[key] }
	skip := func(key, why string) { fmt.Printf("SKIPPED %s: %s\n", key, why) }
	port := o.portBase
	serve := func(key, name string, cookieMode, usesRedis bool, h http.Handler) {
		port++
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			skip(key, err.Error())
			return
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		stops = append(stops, func() { srv.Close() })
		targets = append(targets, &target{key: key, name: name, url: "http://" + addr, cookieMode: cookieMode, redis: usesRedis})
	}

	var rdb *redis.Client
	redisAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.redisPort))
	redisWhy := ""
	if want("ours-redis") || want("scs-redis") {
		if bin, err := exec.LookPath(o.redisBin); err != nil {
			redisWhy = "redis-server not found (apt-get install redis-server)"
		} else if p, err := startRedis(bin, dir, o.redisPort); err != nil {
			redisWhy = err.Error()
		} else {
			stops = append(stops, p.stop)
			rdb = redis.NewClient(&redis.Options{Addr: redisAddr})
			stops = append(stops, func() { rdb.Close() })
		}
	}

	if want("ours-cookie") {
		if h, err := oursManager(nil); err != nil {
			skip("ours-cookie", err.Error())
		} else {
			serve("ours-cookie", "flaskgo signed cookie", true, false, handler(ours{}, h))
		}
	}
	if want("ours-redis") {
		if redisWhy != "" {
			skip("ours-redis", redisWhy)
		} else if store, closeStore, err := oursRedis(redisAddr); err != nil {
			skip("ours-redis", err.Error())
		} else if h, err := oursManager(store); err != nil {
			closeStore()
			skip("ours-redis", err.Error())
		} else {
			stops = append(stops, closeStore)
			serve("ours-redis", "flaskgo + redisstore", false, true, handler(ours{}, h))
		}
	}
	if want("ours-postgres") {
		if store, closeStore, err := oursPostgres(o.pgDSN, o.pgConns); err != nil {
			skip("ours-postgres", err.Error())
		} else if h, err := oursManager(store); err != nil {
			closeStore()
			skip("ours-postgres", err.Error())
		} else {
			stops = append(stops, closeStore)
			serve("ours-postgres", "flaskgo + sqlstore (PG)", false, false, handler(ours{}, h))
		}
	}
	if want("scs-redis") {
		if redisWhy != "" {
			skip("scs-redis", redisWhy)
		} else {
			a, closePool := newSCS(redisAddr)
			stops = append(stops, closePool)
			serve("scs-redis", "scs v2 + redisstore", false, true, handler(a, a.sm.LoadAndSave))
		}
	}
	if want("gorilla-cookie") {
		serve("gorilla-cookie", "gorilla CookieStore (gob)", true, false, handler(newGorilla(), nil))
	}
	if want("flask-cookie") {
		if argv, why := gunicornCommand(); why != "" {
			skip("flask-cookie", why)
		} else {
			port++
			if p, err := startFlask(argv, dir, port, o.flaskWorkers, o.flaskThreads); err != nil {
				skip("flask-cookie", err.Error())
			} else {
				stops = append(stops, p.stop)
				targets = append(targets, &target{key: "flask-cookie",
					name:       fmt.Sprintf("Flask (gunicorn %dx%d)", o.flaskWorkers, o.flaskThreads),
					url:        "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
					cookieMode: true})
			}
		}
	}
	return targets, rdb, cleanup
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

func get(url, cookie string) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %s", req.URL.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	return resp, string(body), err
}

// seed creates the target's sessions and writes their cookies, one per line,
// session 0 (the hot one) first.
func seed(t *target, n int, dir string) error {
	var lines []byte
	for i := 0; i < n; i++ {
		resp, _, err := get(fmt.Sprintf("%s/seed?i=%d", t.url, i), "")
		if err != nil {
			return err
		}
		cs := resp.Cookies()
		if len(cs) == 0 {
			return fmt.Errorf("no Set-Cookie from /seed")
		}
		c := cs[0].Name + "=" + cs[0].Value
		t.cookies = append(t.cookies, c)
		lines = append(append(lines, c...), '\n')
	}
	t.cookieFile = filepath.Join(dir, t.key+".cookies")
	return os.WriteFile(t.cookieFile, lines, 0o600)
}

// counters sums the counters of sessions [0, n) read through the server with
// the cookie a browser would hold: the last one it received for a session,
// else the seeded one.
func counters(t *target, n int, last map[int]string) (int64, error) {
	var sum int64
	for i := 0; i < n; i++ {
		c := t.cookies[i]
		if l, ok := last[i]; ok {
			c = l
		}
		_, body, err := get(t.url+"/count", c)
		if err != nil {
			return 0, err
		}
		v, err := strconv.ParseInt(strings.TrimSpace(body), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/count: %q: %w", body, err)
		}
		sum += v
	}
	return sum, nil
}

// result is one cell of one target.
type result struct {
	cell      cell
	target    *target
	wrk       wrkResult
	kept      int64   // counter increase (write cells)
	redisCmds float64 // Redis commands per request, -1 when not measured
	ratio     float64 // req/s over scs's, when set by median
}

func measure(w *wrkRunner, rdb *redis.Client, t *target, c cell, d time.Duration) (result, error) {
	r := result{cell: c, target: t, redisCmds: -1}
	n := len(t.cookies)
	if c.hot {
		n = 1
	}
	var before int64
	if c.write {
		var err error
		if before, err = counters(t, n, nil); err != nil {
			return r, err
		}
	}
	path := "/read"
	if c.write {
		path = "/write"
	}
	var cmds0 int64
	if t.redis && rdb != nil {
		cmds0, _ = redisCalls(rdb)
	}
	res, err := w.run(t.url+path, t.cookieFile, c.hot, c.write, d)
	if err != nil {
		return r, err
	}
	r.wrk = res
	if t.redis && rdb != nil {
		if cmds1, err := redisCalls(rdb); err == nil && res.requests > 0 {
			r.redisCmds = float64(cmds1-cmds0-1) / float64(res.requests) // -1: the first INFO
		}
	}
	if c.write {
		time.Sleep(200 * time.Millisecond) // requests wrk stopped waiting for finish
		after, err := counters(t, n, res.last)
		if err != nil {
			return r, err
		}
		r.kept = after - before
	}
	return r, nil
}

// redisCalls sums the calls of every command in INFO commandstats, commands
// run inside scripts included.
func redisCalls(rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		_, stats, _ := strings.Cut(line, ":")
		for _, kv := range strings.Split(stats, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				sum += n
			}
		}
	}
	return sum, nil
}
