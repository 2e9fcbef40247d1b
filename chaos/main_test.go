package chaos

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

const (
	sigStop = syscall.SIGSTOP
	sigCont = syscall.SIGCONT
)

// TestMain prints the table of every scenario that ran, and writes it to
// the file CHAOS_REPORT names, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if len(results)+len(soaks) > 0 {
		t := table(results)
		for _, s := range soaks {
			t += "\n" + s + "\n"
		}
		fmt.Printf("\n%s\n", t)
		if path := os.Getenv("CHAOS_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(t), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
	}
	os.Exit(code)
}
