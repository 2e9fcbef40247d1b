//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package cachelibstore

import (
	"os"
	"syscall"
)

// crossProcess reports whether locks also exclude other processes.
const crossProcess = true

// flock takes (lock true) or releases an exclusive advisory lock on f. It
// blocks until the lock is free; retrying on EINTR because a signal landing
// while we wait is not a failure.
func flock(f *os.File, lock bool) error {
	how := syscall.LOCK_UN
	if lock {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
