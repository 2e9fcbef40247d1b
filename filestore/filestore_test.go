package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

func newStore(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	clock := testenv.RealClock()
	// One directory for every subtest, as in production: the suite's keys
	// are random.
	dir := t.TempDir()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, dir, WithClock(clock.Now))
		},
		Advance: clock.Advance,
	})
}

func TestConformanceSyncRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps; skipped in -short mode")
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, t.TempDir(), WithSync(true))
		},
		TTLResolution: 50 * time.Millisecond,
	})
}

func TestPermissionsAndNames(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "sessions")
	s := newStore(t, dir)
	ctx := context.Background()
	// A key that would escape the directory if it were used as a path.
	key := "../../etc/passwd"
	if err := s.Save(ctx, key, session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), UserID: "../alice"}); err != nil {
		t.Fatal(err)
	}
	if err := filepath.WalkDir(filepath.Dir(dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case p == filepath.Dir(dir):
		case strings.HasPrefix(rel, ".."):
			t.Errorf("file outside the store: %s", p)
		case d.IsDir() && info.Mode().Perm() != 0o700:
			t.Errorf("%s: mode %v; want 0700", rel, info.Mode().Perm())
		case !d.IsDir() && info.Mode().Perm() != 0o600:
			t.Errorf("%s: mode %v; want 0600", rel, info.Mode().Perm())
		case !d.IsDir() && rel != filepath.Join(locksDir, filepath.Base(rel)) && !isHashName(filepath.Base(rel)):
			t.Errorf("%s: not a hash name", rel)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, hashName(key))); err != nil {
		t.Errorf("record file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, usersDir, hashName("../alice"), hashName(key))); err != nil {
		t.Errorf("index marker: %v", err)
	}
}

func TestCorruptFiles(t *testing.T) {
	clock := testenv.RealClock()
	dir := t.TempDir()
	s := newStore(t, dir, WithClock(clock.Now))
	ctx := context.Background()
	good, err := encode(&record{version: 7, expires: unixNano(clock.Now().Add(time.Hour)), user: "alice", key: "k", data: []byte("data")})
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := encode(&record{version: 7, expires: unixNano(clock.Now().Add(time.Hour)), key: "other", data: []byte("data")})
	flipped := bytes.Clone(good)
	flipped[len(flipped)-6] ^= 1
	tests := []struct {
		name string
		file []byte
	}{
		{"Empty", nil},
		{"Truncated", good[:len(good)-1]},
		{"HeaderOnly", good[:headerSize]},
		{"BadMagic", append([]byte("XXXX"), good[4:]...)},
		{"BitFlip", flipped},
		{"Extended", append(bytes.Clone(good), 0)},
		{"OtherKey", otherKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, hashName("k"))
			if err := os.WriteFile(p, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(ctx, "k")
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, session.ErrNotFound) {
				t.Fatalf("Load(corrupt) = %v; want ErrCorrupt", err)
			}
			if err := s.Touch(ctx, "k", clock.Now().Add(time.Hour)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Touch(corrupt) = %v; want ErrCorrupt", err)
			}
			n, err := s.DeleteExpired(ctx)
			if err != nil || n != 1 {
				t.Fatalf("DeleteExpired = %d, %v; want 1, nil", n, err)
			}
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("corrupt file still there: %v", err)
			}
			// And a write over a corrupt file works, conditional or not.
			os.WriteFile(p, tt.file, 0o600)
			if _, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("new"), Expires: clock.Now().Add(time.Hour)}); err != nil {
				t.Fatalf("SaveIfVersion(0) over a corrupt file: %v", err)
			}
			if rec, err := s.Load(ctx, "k"); err != nil || string(rec.Data) != "new" {
				t.Fatalf("Load = %q, %v", rec.Data, err)
			}
			if err := s.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDeleteExpiredTempFilesAndIndex(t *testing.T) {
	clock := testenv.RealClock()
	dir := t.TempDir()
	s := newStore(t, dir, WithClock(clock.Now))
	ctx := context.Background()

	oldTmp := filepath.Join(dir, tmpPrefix+"crashed")
	newTmp := filepath.Join(dir, tmpPrefix+"in-flight")
	for _, p := range []string{oldTmp, newTmp} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * tmpMaxAge)
	if err := os.Chtimes(oldTmp, past, past); err != nil {
		t.Fatal(err)
	}
	// A stray file that is not ours stays.
	stray := filepath.Join(dir, "README")
	os.WriteFile(stray, []byte("hi"), 0o600)

	exp := clock.Now().Add(time.Hour)
	for i := 0; i < 4; i++ {
		e := exp
		if i%2 == 0 {
			e = exp.Add(time.Hour)
		}
		if err := s.Save(ctx, "k"+strconv.Itoa(i), session.Record{Expires: e, UserID: "u" + strconv.Itoa(i%2)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(90 * time.Minute) // k1 and k3 (user u1) expire
	n, err := s.DeleteExpired(ctx)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2, nil", n, err)
	}
	for p, want := range map[string]bool{oldTmp: false, newTmp: true, stray: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists = %v; want %v", filepath.Base(p), err == nil, want)
		}
	}
	// u1's markers and then its directory are gone; u0's remain.
	if _, err := os.Stat(s.userDir("u1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("index directory of a user without sessions: %v", err)
	}
	if m, _ := os.ReadDir(s.userDir("u0")); len(m) != 2 {
		t.Errorf("u0 has %d markers; want 2", len(m))
	}
	// A marker whose record vanished behind the store's back is dropped.
	os.Remove(filepath.Join(dir, hashName("k0")))
	if got, err := s.UserSessions(ctx, "u0"); err != nil || len(got) != 1 || got[0].Key != "k2" {
		t.Fatalf("UserSessions = %v, %v; want just k2", got, err)
	}
	if m, _ := os.ReadDir(s.userDir("u0")); len(m) != 1 {
		t.Errorf("u0 has %d markers after listing; want 1", len(m))
	}
}

func TestConcurrentStoresOneDir(t *testing.T) {
	// Two Store values in one process share nothing but the directory: the
	// flock half of the lock must serialise them.
	if !crossProcess {
		t.Skip("no cross-process locking on " + runtime.GOOS)
	}
	dir := t.TempDir()
	a, b := newStore(t, dir), newStore(t, dir)
	const perStore = 100
	if got := increment(t, []*Store{a, b}, perStore, 4); got != 2*perStore {
		t.Fatalf("counter = %d; want %d", got, 2*perStore)
	}
}

// increment runs goroutines that each add to the counter under key
// "counter" with load → SaveIfVersion → retry, spread over stores, n
// increments per store, and returns the final count.
func increment(t testing.TB, stores []*Store, n, goroutinesPerStore int) int {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*goroutinesPerStore)
	for _, s := range stores {
		for g := 0; g < goroutinesPerStore; g++ {
			todo := n / goroutinesPerStore
			if g == 0 {
				todo += n % goroutinesPerStore
			}
			wg.Add(1)
			go func(s *Store, todo int) {
				defer wg.Done()
				errs <- incrementN(ctx, s, todo)
			}(s, todo)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rec, err := stores[0].Load(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := strconv.Atoi(string(rec.Data))
	return got
}

func incrementN(ctx context.Context, s *Store, n int) error {
	for i := 0; i < n; i++ {
		for {
			rec, err := s.Load(ctx, "counter")
			var c int
			switch {
			case errors.Is(err, session.ErrNotFound):
				rec = session.Record{Expires: time.Now().Add(time.Hour)}
			case err != nil:
				return err
			default:
				if c, err = strconv.Atoi(string(rec.Data)); err != nil {
					return fmt.Errorf("counter %q: %v", rec.Data, err)
				}
			}
			rec.Data = []byte(strconv.Itoa(c + 1))
			_, err = s.SaveIfVersion(ctx, "counter", rec)
			if err == nil {
				break
			}
			if !errors.Is(err, session.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

const helperEnv = "FILESTORE_HELPER_DIR"

// TestHelperProcess is not a test: TestMultiProcess runs the test binary
// again with only this function selected and helperEnv set.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestMultiProcess")
	}
	n, err := strconv.Atoi(os.Getenv("FILESTORE_HELPER_N"))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, dir)
	if err := incrementN(context.Background(), s, n); err != nil {
		t.Fatal(err)
	}
}

func TestMultiProcess(t *testing.T) {
	if !crossProcess {
		t.Skip("no cross-process locking on " + runtime.GOOS + "; one process per directory")
	}
	const procs, perProc = 2, 150
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, "FILESTORE_HELPER_N="+strconv.Itoa(perProc))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	s := newStore(t, dir)
	rec, err := s.Load(context.Background(), "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Data); got != strconv.Itoa(procs*perProc) {
		t.Fatalf("counter = %s after %d processes × %d increments; want %d (lost updates)", got, procs, perProc, procs*perProc)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Error("New(\"\") = nil error")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := New(f); err == nil {
		t.Error("New(a regular file) = nil error")
	}
}

func TestTooLarge(t *testing.T) {
	s := newStore(t, t.TempDir())
	err := s.Save(context.Background(), "k", session.Record{Expires: time.Now().Add(time.Hour), UserID: strings.Repeat("u", 1<<16)})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save(huge user id) = %v; want ErrTooLarge", err)
	}
	if _, err := s.Load(context.Background(), "k"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load after a failed save = %v; want ErrNotFound", err)
	}
}
