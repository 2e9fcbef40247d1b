package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed load.lua
var loadLua string

//go:embed track.lua
var trackLua string

// wrkResult is what one wrk run reports (load.lua's done()).
type wrkResult struct {
	requests int64         // responses received
	duration time.Duration // measured time
	p50, p99 time.Duration
	errors   string // connect read write status timeout, when any is non-zero
	ok2xx    int64  // 2xx responses (write cells only)
	non2xx   int64
	tracked  bool
	last     map[int]string // session index -> the last cookie a browser would hold
}

func (r wrkResult) rps() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.requests) / r.duration.Seconds()
}

// wrkRunner runs wrk with the scripts written once to dir.
type wrkRunner struct {
	bin              string
	threads, conns   int
	plain, withTrack string // script paths
	timeout          time.Duration
}

func newWrkRunner(bin, dir string, threads, conns int) (*wrkRunner, error) {
	w := &wrkRunner{bin: bin, threads: threads, conns: conns, timeout: 5 * time.Second,
		plain: filepath.Join(dir, "load.lua"), withTrack: filepath.Join(dir, "load-track.lua")}
	if err := os.WriteFile(w.plain, []byte(loadLua), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(w.withTrack, []byte(loadLua+trackLua), 0o600); err != nil {
		return nil, err
	}
	return w, nil
}

// run drives url for d with the cookies in cookieFile, one hot session or
// all of them, tracking responses when track is set.
func (w *wrkRunner) run(url, cookieFile string, hot, track bool, d time.Duration) (wrkResult, error) {
	script, mode := w.plain, "many"
	if track {
		script = w.withTrack
	}
	if hot {
		mode = "hot"
	}
	args := []string{
		"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.conns),
		"-d", wrkSeconds(d), "--timeout", wrkSeconds(w.timeout),
		"-s", script, url, "--", cookieFile, mode,
	}
	argv := pinned(append([]string{w.bin}, args...))
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w: %s", url, err, strings.TrimSpace(stderr.String()+string(out)))
	}
	res, err := parseWrk(out)
	if err != nil {
		return res, fmt.Errorf("wrk %s: %w\n%s", url, err, out)
	}
	res.tracked = track
	return res, nil
}

// wrkSeconds formats d for wrk, whose time units stop at seconds.
func wrkSeconds(d time.Duration) string {
	s := int64((d + time.Second/2) / time.Second)
	if s < 1 {
		s = 1
	}
	return fmt.Sprintf("%ds", s)
}

// parseWrk reads the BENCH lines load.lua's done() prints.
func parseWrk(out []byte) (wrkResult, error) {
	res := wrkResult{last: map[int]string{}}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "BENCH" {
			continue
		}
		num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
		switch f[1] {
		case "requests":
			res.requests = num(f[2])
			seen++
		case "duration_us":
			res.duration = time.Duration(num(f[2])) * time.Microsecond
		case "p50_us":
			res.p50 = time.Duration(num(f[2])) * time.Microsecond
		case "p99_us":
			res.p99 = time.Duration(num(f[2])) * time.Microsecond
		case "errors":
			for _, e := range f[2:] {
				if e != "0" {
					res.errors = "connect/read/write/status/timeout " + strings.Join(f[2:], "/")
					break
				}
			}
		case "ok2xx":
			if len(f) == 4 {
				res.ok2xx += num(f[2])
				res.non2xx += num(f[3])
			}
		case "last":
			if len(f) == 4 {
				res.last[int(num(f[2]))] = f[3]
			}
		}
	}
	if seen == 0 {
		return res, fmt.Errorf("no summary in wrk's output")
	}
	return res, sc.Err()
}
