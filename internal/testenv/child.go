package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// StartChild runs the test named test of the current test binary in a
// child process with env added to its environment, and returns once the
// child printed ready as its first line of output: a process the test can
// then kill or stop (SIGSTOP) to play a crashed or frozen peer. The child
// is resumed and killed when t ends.
func StartChild(t testing.TB, test, ready string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != ready {
		t.Fatalf("child %s: first line %q, %v; want %q", test, line, err, ready)
	}
	return cmd
}
