package main

import (
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

//go:embed flaskapp.py
var flaskApp string

// proc is a child process the harness started, in its own process group so
// that stop ends it and its workers, and nothing else.
type proc struct {
	name string
	cmd  *exec.Cmd
}

func start(name string, logFile string, argv []string, env []string, dir string) (*proc, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	argv = pinned(argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { cmd.Wait(); log.Close() }()
	return &proc{name: name, cmd: cmd}, nil
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	for i := 0; i < 50; i++ {
		if syscall.Kill(-p.cmd.Process.Pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// waitPort waits until addr accepts connections.
func waitPort(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startRedis starts a private redis-server without persistence.
func startRedis(bin, dir string, port int) (*proc, error) {
	p, err := start("redis-server", filepath.Join(dir, "redis.log"), []string{bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--protected-mode", "no"}, nil, dir)
	if err != nil {
		return nil, err
	}
	if err := waitPort(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("redis-server (log %s): %w", filepath.Join(dir, "redis.log"), err)
	}
	return p, nil
}

// gunicornCommand finds gunicorn: Debian's /usr/bin/gunicorn, else
// python3 -m gunicorn; with the Python that has Flask.
func gunicornCommand() ([]string, string) {
	if _, err := os.Stat("/usr/bin/gunicorn"); err == nil {
		if exec.Command("/usr/bin/python3", "-c", "import flask").Run() == nil {
			return []string{"/usr/bin/gunicorn"}, ""
		}
		return nil, "Flask is not importable by /usr/bin/python3 (apt-get install python3-flask)"
	}
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import gunicorn, flask").Run() == nil {
			return []string{py, "-m", "gunicorn"}, ""
		}
	}
	return nil, "gunicorn with Flask not found (apt-get install gunicorn python3-flask)"
}

// startFlask runs the Flask app under gunicorn: workers processes of the
// gthread worker (keep-alive, like the Go servers) with threads each.
func startFlask(argv0 []string, dir string, port, workers, threads int) (*proc, error) {
	if err := os.WriteFile(filepath.Join(dir, "flaskapp.py"), []byte(flaskApp), 0o600); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	argv := append(append([]string{}, argv0...), "--chdir", dir, "-w", strconv.Itoa(workers),
		"-k", "gthread", "--threads", strconv.Itoa(threads), "-b", addr, "--log-level", "warning", "flaskapp:app")
	p, err := start("gunicorn", filepath.Join(dir, "gunicorn.log"), argv, []string{"BENCH_SECRET=" + secretKey}, dir)
	if err != nil {
		return nil, err
	}
	if err := waitPort(addr, 20*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("gunicorn (log %s): %w", filepath.Join(dir, "gunicorn.log"), err)
	}
	return p, nil
}
