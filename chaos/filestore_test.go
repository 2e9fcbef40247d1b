package chaos

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
	"github.com/flaskgo/session/internal/testenv"
)

// tmpfsSize is the size of the file system filestore runs on: room for the
// load's sessions, small enough to fill in a moment.
const tmpfsSize = "4m"

// smallDisk mounts a tmpfs of tmpfsSize (this needs root, or
// CAP_SYS_ADMIN) and unmounts it at cleanup.
func smallDisk(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+tmpfsSize+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "cannot mount a %s tmpfs for the full-disk test (needs root): %v %s", tmpfsSize, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file until the file system has no space left.
func fillDisk(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

func TestFilestoreFullDisk(t *testing.T) {
	disk := smallDisk(t)
	dir := filepath.Join(disk, "sessions")
	filler := filepath.Join(disk, "filler")
	tg := target{store: "filestore (tmpfs " + tmpfsSize + ")", durable: true, open: func(t testing.TB) (session.Store, func()) {
		st, err := filestore.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		return st, func() { st.Close() }
	}}
	runFault(t, tg, "disk full, then space freed", func(t *testing.T, m *marks) {
		m.start = time.Now()
		fillDisk(t, filler)
		time.Sleep(timings().hold)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		m.back = time.Now()
	})
}
