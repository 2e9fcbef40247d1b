package cachelibstore_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/flasksession"
)

// cachelib runs a Python snippet with c = FileSystemCache(dir, threshold)
// (which, as in every Flask worker, recounts the directory first) and
// returns what it prints.
func cachelib(t *testing.T, dir string, threshold int, code string) string {
	t.Helper()
	prog := "import sys, pickle\nfrom cachelib.file import FileSystemCache\n" +
		"c = FileSystemCache(sys.argv[1], threshold=int(sys.argv[2]))\n" + code
	out, err := exec.Command(fsPython, "-c", prog, dir, strconv.Itoa(threshold)).CombinedOutput()
	if err != nil {
		t.Fatalf("cachelib: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCachelibSharesDirectory checks, against cachelib 0.9 itself, the
// parts of the layout Flask-Session does not show: cachelib reads Go's
// files and Go reads cachelib's, cachelib's recount ignores the lock and
// temporary files, its counter agrees with Go's, its pruning removes Go's
// files by expiry and never the lock file, and clear() leaves the lock.
func TestCachelibSharesDirectory(t *testing.T) {
	needFlaskSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := cachelibstore.New(dir, cachelibstore.WithThreshold(4))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pickled, err := flasksession.Pickle{}.Marshal(map[string]any{"who": "go", "n": int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// Go writes three sessions expiring in 1, 2 and 3 hours.
	for i := 1; i <= 3; i++ {
		if err := st.Save(ctx, "session:go"+strconv.Itoa(i), session.Record{Data: pickled, Expires: now.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary file of a writer in flight: nobody may count it.
	if err := os.WriteFile(filepath.Join(dir, "tmpinflight.__wz_cache"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := cachelib(t, dir, 4, `print(c._file_count, c.get("session:go2"), c.has("session:go3"))`)
	if want := "3 {'n': 1, 'who': 'go'} True"; got != want {
		t.Fatalf("cachelib sees %q; want %q", got, want)
	}
	// cachelib writes one (counter 4); Go reads it and counts on.
	cachelib(t, dir, 4, `c.set("session:py1", {"who": "py", "x": [1, 2]}, timeout=4*3600)`)
	rec, err := st.Load(ctx, "session:py1")
	if err != nil {
		t.Fatalf("Go Load of cachelib's file: %v", err)
	}
	if v, err := (flasksession.Pickle{}).Unmarshal(rec.Data); err != nil || v["who"] != "py" {
		t.Errorf("Go decoded %v, %v", v, err)
	}
	if d := time.Until(rec.Expires); d < 4*time.Hour-time.Minute || d > 4*time.Hour+time.Minute {
		t.Errorf("cachelib's file expires in %v; want 4h", d)
	}
	if err := st.Save(ctx, "session:go4", session.Record{Data: pickled, Expires: now.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// 4 is not above 4: Go did not prune; the counter is 5.
	got = cachelib(t, dir, 0, `print(pickle.loads(open(sys.argv[1] + "/2029240f6d1128be89ddc32729463129", "rb").read()[4:]))`)
	if got != "5" {
		t.Errorf("counter after Go's fifth file = %s; want 5", got)
	}
	// cachelib's next set prunes (5 > 4): the file expiring first, Go's go1.
	cachelib(t, dir, 4, `c.set("session:py2", {"who": "py"}, timeout=6*3600)`)
	if _, err := st.Load(ctx, "session:go1"); err == nil {
		t.Errorf("cachelib's pruning did not remove the file that expires first")
	}
	for _, k := range []string{"session:go2", "session:go3", "session:go4", "session:py1", "session:py2"} {
		if _, err := st.Load(ctx, k); err != nil {
			t.Errorf("Load(%s) after cachelib's prune: %v", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "flaskgo-session.lock.__wz_cache")); err != nil {
		t.Errorf("lock file after cachelib's prune: %v", err)
	}
	// Go's next write prunes the same way (5 > 4): go2 goes.
	if err := st.Save(ctx, "session:go5", session.Record{Data: pickled, Expires: now.Add(7 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, "session:go2"); err == nil {
		t.Errorf("Go's pruning did not remove the file that expires first")
	}
	files, _ := st.ListFiles(ctx, 0)
	got = cachelib(t, dir, 0, `print(pickle.loads(open(sys.argv[1] + "/2029240f6d1128be89ddc32729463129", "rb").read()[4:]))`)
	if got != strconv.Itoa(len(files)) || len(files) != 5 {
		t.Errorf("counter %s with %d cache files; want 5 and 5", got, len(files))
	}
	// A Go delete is a cachelib miss; clear() keeps the lock file.
	st.Delete(ctx, "session:py2")
	if got := cachelib(t, dir, 4, `print(c.get("session:py2"), c._file_count)`); got != "None 4" {
		t.Errorf("cachelib after Go's delete: %q; want \"None 4\"", got)
	}
	cachelib(t, dir, 4, `c.clear()`)
	if files, _ := st.ListFiles(ctx, 0); len(files) != 0 {
		t.Errorf("%d files after clear()", len(files))
	}
	if _, err := os.Stat(filepath.Join(dir, "flaskgo-session.lock.__wz_cache")); err != nil {
		t.Errorf("lock file after clear(): %v", err)
	}
	if err := st.Save(ctx, "session:after", session.Record{Data: pickled, Expires: now.Add(time.Hour)}); err != nil {
		t.Errorf("Save after clear(): %v", err)
	}
}
