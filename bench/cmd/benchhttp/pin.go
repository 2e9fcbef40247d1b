package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// With -pin the Go servers (this process) run on the last CPU and
// everything that drives or serves them (wrk, redis-server, gunicorn) on the
// others, as if the load generator and Redis were on other machines: the
// servers then no longer compete with wrk and Redis for CPU, and req/s
// measures what one core of each server does. PostgreSQL is a system
// service and is not moved.

// pinnedEnv holds loadCPUs in the re-executed, pinned process (whose
// runtime.NumCPU is then 1).
const pinnedEnv = "BENCHHTTP_PINNED"

// loadCPUs is the taskset CPU list for the processes the harness starts
// ("" when not pinning).
var loadCPUs string

// pinSelf re-executes this program on the last CPU under taskset (once: the
// child sees pinnedEnv) and sets loadCPUs for the children it will start.
func pinSelf() error {
	if cpus := os.Getenv(pinnedEnv); cpus != "" {
		loadCPUs = cpus
		return nil
	}
	n := runtime.NumCPU()
	if n < 2 {
		return fmt.Errorf("-pin needs 2 CPUs or more, this machine has %d", n)
	}
	loadCPUs = "0"
	if n > 2 {
		loadCPUs = "0-" + strconv.Itoa(n-2)
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("-pin: taskset not found (util-linux): %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("-pin: %w", err)
	}
	argv := append([]string{taskset, "-c", strconv.Itoa(n - 1), self}, os.Args[1:]...)
	return syscall.Exec(taskset, argv, append(os.Environ(), pinnedEnv+"="+loadCPUs))
}

// pinned prefixes argv with taskset for the load CPUs when pinning.
func pinned(argv []string) []string {
	if loadCPUs == "" {
		return argv
	}
	return append([]string{"taskset", "-c", loadCPUs}, argv...)
}
