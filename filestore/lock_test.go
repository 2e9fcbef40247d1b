//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filestore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/storetest"
)

func TestLocker(t *testing.T) {
	dir := t.TempDir() // shared, as in production: the suite's names are random
	storetest.RunLocker(t, func(t *testing.T) session.Store { return newStore(t, dir) })
}

func lockFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, locksDir, strings.Repeat("?", 64)+".lock"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Two stores on one directory exclude each other (flock holds between open
// files, also within one process), and unlock removes the lock file.
func TestLockTwoStoresOneDir(t *testing.T) {
	dir := t.TempDir()
	a, b := newStore(t, dir), newStore(t, dir)
	ctx := context.Background()
	unlock, err := a.Lock(ctx, "k:lock", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lockFiles(t, dir)); n != 1 {
		t.Errorf("%d lock files while held; want 1", n)
	}
	storetest.WantLockHeld(t, b, "k:lock", 100*time.Millisecond)
	if err := unlock(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.LockWithin(t, b, "k:lock", time.Second)
	if f := lockFiles(t, dir); len(f) != 0 {
		t.Errorf("lock files left after unlock: %v", f)
	}
}

// The expiry is on the store's clock: a holder whose timer has not fired
// yet is broken by a Lock whose clock is past the expiry in the file, and
// its unlock then reports the loss without touching the new lock.
func TestLockExpiryOnStoreClock(t *testing.T) {
	dir := t.TempDir()
	clock := testenv.RealClock()
	a, b := newStore(t, dir, WithClock(clock.Now)), newStore(t, dir, WithClock(clock.Now))
	ctx := context.Background()
	stale, err := a.Lock(ctx, "k:lock", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	storetest.WantLockHeld(t, b, "k:lock", 100*time.Millisecond)
	clock.Advance(2 * time.Minute)
	current, err := b.Lock(ctx, "k:lock", time.Hour)
	if err != nil {
		t.Fatalf("Lock past the holder's expiry: %v", err)
	}
	if err := stale(ctx); !errors.Is(err, errLockLost) {
		t.Errorf("unlock of a broken lock = %v; want errLockLost", err)
	}
	storetest.WantLockHeld(t, a, "k:lock", 100*time.Millisecond)
	if err := current(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.LockWithin(t, a, "k:lock", time.Second)
}

// TestLockHolderProcess is the holder of the process tests, run in a child
// process: it takes the lock, says so, and waits to be killed.
func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv("FILESTORE_LOCK_HOLDER_DIR")
	if dir == "" {
		t.Skip("only run as the child of TestLockCrashedProcess")
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(context.Background(), "k:lock", time.Second); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Hour)
}

func startHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	return testenv.StartChild(t, "TestLockHolderProcess", "locked", "FILESTORE_LOCK_HOLDER_DIR="+dir)
}

// A killed holder process (no unlock, no timer) frees the lock at once: its
// file descriptor, and with it the flock, is gone.
func TestLockCrashedProcess(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	holder := startHolder(t, dir)
	storetest.WantLockHeld(t, s, "k:lock", 100*time.Millisecond)
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	took := storetest.LockWithin(t, s, "k:lock", 5*time.Second)
	t.Logf("lock taken %v after the holder was killed (TTL 1s)", took)
	if took > 500*time.Millisecond {
		t.Errorf("killed holder's lock freed only after %v", took)
	}
}

// A frozen holder process (SIGSTOP: its flock stays, its timer cannot run)
// loses the lock once the expiry in its file has passed (TTL 1s).
func TestLockFrozenProcess(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	holder := startHolder(t, dir)
	start := time.Now()
	if err := holder.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	storetest.WantLockHeld(t, s, "k:lock", 100*time.Millisecond)
	storetest.LockWithin(t, s, "k:lock", 10*time.Second)
	took := time.Since(start)
	t.Logf("frozen holder's lock (TTL 1s) taken after %v", took)
	if took < 800*time.Millisecond {
		t.Errorf("frozen holder's lock (TTL 1s) taken after only %v", took)
	}
}

// BenchmarkLockUnlock measures one free lock taken and released.
func BenchmarkLockUnlock(b *testing.B) {
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		u, err := s.Lock(ctx, "k:lock", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if err := u(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
