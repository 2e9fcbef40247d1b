package cachelibstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

const helperEnv = "CACHELIBSTORE_HELPER_DIR"

// incrementN adds 1 to the counter under key "counter" n times with
// SaveIfVersion, retrying on conflict, and creates n/10 files of its own.
func incrementN(ctx context.Context, s *Store, n int, id string) error {
	exp := time.Now().Add(time.Hour)
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			if err := s.Save(ctx, "own:"+id+":"+strconv.Itoa(i), session.Record{Data: []byte("x"), Expires: exp}); err != nil {
				return err
			}
		}
		for {
			rec, err := s.Load(ctx, "counter")
			var c int
			switch {
			case errors.Is(err, session.ErrNotFound):
				rec = session.Record{}
			case err != nil:
				return err
			default:
				if c, err = strconv.Atoi(string(rec.Data)); err != nil {
					return err
				}
			}
			rec.Data, rec.Expires = []byte(strconv.Itoa(c+1)), exp
			if _, err = s.SaveIfVersion(ctx, "counter", rec); err == nil {
				break
			}
			if !errors.Is(err, session.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// TestHelperProcess is not a test: TestMultiProcess runs the test binary
// again with only this function selected and helperEnv set.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestMultiProcess")
	}
	n, err := strconv.Atoi(os.Getenv("CACHELIBSTORE_HELPER_N"))
	if err != nil {
		t.Fatal(err)
	}
	if err := incrementN(context.Background(), newStore(t, dir), n, os.Getenv("CACHELIBSTORE_HELPER_ID")); err != nil {
		t.Fatal(err)
	}
}

// TestMultiProcess: Go processes sharing a directory lose no conditional
// update and keep cachelib's counter exact.
func TestMultiProcess(t *testing.T) {
	if !crossProcess {
		t.Skip("no cross-process locking on " + runtime.GOOS + "; one process per directory")
	}
	const procs, perProc = 2, 100
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, "CACHELIBSTORE_HELPER_N="+strconv.Itoa(perProc), "CACHELIBSTORE_HELPER_ID="+strconv.Itoa(i))
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
	rec, err := s.Load(bg, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Data); got != strconv.Itoa(procs*perProc) {
		t.Fatalf("counter = %s after %d processes × %d increments; want %d (lost updates)", got, procs, perProc, procs*perProc)
	}
	files, _ := s.ListFiles(bg, 0)
	if n, _, _ := s.readCount(); n != int64(len(files)) || len(files) != 1+procs*perProc/10 {
		t.Errorf("cachelib counter = %d with %d files; want both %d", n, len(files), 1+procs*perProc/10)
	}
}
