//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cachelibstore

import "os"

// crossProcess reports whether locks also exclude other processes. On this
// OS they do not: only goroutines of one process are serialised, so a
// directory must not be shared by several processes that write to it.
const crossProcess = false

func flock(f *os.File, lock bool) error { return nil }
