package chaos

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
)

// The harness's private port range: nothing else on the machine uses it, so
// the servers it kills are only ever its own.
const (
	portFirst = 17000
	portLast  = 17999
)

var (
	portMu   sync.Mutex
	portNext = portFirst
)

// freePort returns the next port of the private range that nothing listens
// on (the range is walked once per test binary; ports are never reused, so
// a restarted server finds its port free).
func freePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for ; portNext <= portLast; portNext++ {
		p := portNext
		l, err := net.Listen("tcp", addrOf(p))
		if err != nil {
			continue
		}
		l.Close()
		portNext++
		return p
	}
	t.Fatalf("no free port left in %d-%d", portFirst, portLast)
	return 0
}

func addrOf(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// lookPath finds a server binary, or skips (fails under CI=true).
func lookPath(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(name); err == nil {
		return name
	}
	testenv.Unavailable(t, "%s not found (the chaos harness starts its own servers)", name)
	return ""
}

// proc is one server process the harness owns. It runs in a process group
// of its own, so a kill or pause reaches every process the server forked
// (PostgreSQL's backends), as a crash of the machine or container would.
type proc struct {
	name string
	argv []string
	uid  int // run as this user when > 0 (PostgreSQL refuses root)
	gid  int
	port int // where it listens
	// ready, if set, tells a server that accepts connections from one that
	// also answers (PostgreSQL refuses queries during crash recovery).
	ready func() error

	mu     sync.Mutex
	cmd    *exec.Cmd
	out    *bytes.Buffer
	exited chan struct{}
}

// start runs the process and waits until its port accepts connections.
func (p *proc) start(t testing.TB) {
	t.Helper()
	if err := p.tryStart(); err != nil {
		t.Fatal(err)
	}
}

func (p *proc) tryStart() error {
	p.mu.Lock()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = syncWriter{&p.mu, out}, syncWriter{&p.mu, out}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if p.uid > 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(p.uid), Gid: uint32(p.gid)}
	}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.out, p.exited = cmd, out, exited
	p.mu.Unlock()
	go func() { _ = cmd.Wait(); close(exited) }()
	if p.port == 0 {
		return nil
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start:\n%s", p.name, p.output())
		default:
		}
		if c, err := net.DialTimeout("tcp", addrOf(p.port), 200*time.Millisecond); err == nil {
			c.Close()
			if p.ready == nil || p.ready() == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not listening on %d after 60s:\n%s", p.name, p.port, p.output())
}

// signal sends sig to the server and every process it forked. A process
// group is not enough: PostgreSQL's backends call setsid, so they leave the
// postmaster's group, and a paused postmaster alone still serves every
// open connection.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return fmt.Errorf("%s is not running", p.name)
	}
	pids := descendants(p.cmd.Process.Pid)
	if err := syscall.Kill(pids[0], sig); err != nil {
		return fmt.Errorf("%s to %s: %w", sig, p.name, err)
	}
	for _, pid := range pids[1:] {
		_ = syscall.Kill(pid, sig) // one may just have exited
	}
	return nil
}

// descendants returns root and every live process below it (from /proc).
func descendants(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// kill SIGKILLs the process group and waits for the server to be gone.
func (p *proc) kill(t testing.TB) {
	t.Helper()
	if err := p.signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit after SIGKILL", p.name)
	}
	waitPortClosed(p.port)
}

// stop is kill without a test, for cleanups.
func (p *proc) stop() {
	if p.signal(syscall.SIGCONT) != nil {
		return
	}
	_ = p.signal(syscall.SIGKILL)
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

func waitPortClosed(port int) {
	if port == 0 {
		return
	}
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", addrOf(port), 50*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(25 * time.Millisecond)
	}
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() > 1<<20 {
		return len(p), nil // enough to diagnose a failed start
	}
	return w.b.Write(p)
}

// run runs a one-shot command (initdb, redis-cli) and returns its output.
func run(t testing.TB, uid, gid int, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if uid > 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}
