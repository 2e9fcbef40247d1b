package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// SystemPython is Debian's interpreter, which has the python3-* packages
// (Flask, Flask-Session, ...); the python3 first on PATH may not.
const SystemPython = "/usr/bin/python3"

// PeerReadyTimeout bounds how long StartPeer waits for "READY <port>".
const PeerReadyTimeout = 60 * time.Second

// StartPeer runs a peer program (a small Flask app, say) that prints
// "READY <port>" on its first stdout line once it listens on 127.0.0.1, and
// returns its base URL. The peer must exit when its stdin closes, so it
// cannot outlive the test; it is also killed when the test ends, and its
// stderr is logged if the test failed.
func StartPeer(t testing.TB, name string, args ...string) string {
	t.Helper()
	url, err := TryStartPeer(t, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// TryStartPeer is StartPeer reporting a failure as an error, for tests that
// start several peers from goroutines (where t.Fatal is not allowed).
func TryStartPeer(t testing.TB, name string, args ...string) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return "", fmt.Errorf("starting peer %s %v: %w", name, args, err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("peer %v stderr:\n%s", args, stderr.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		port, ok := strings.CutPrefix(line, "READY ")
		if !ok {
			return "", fmt.Errorf("peer %v did not start: stdout %q, stderr:\n%s", args, line, stderr.String())
		}
		return "http://127.0.0.1:" + port, nil
	case <-time.After(PeerReadyTimeout):
		return "", fmt.Errorf("peer %v not ready after %v; stderr:\n%s", args, PeerReadyTimeout, stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer written by the process copier and read by
// the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
