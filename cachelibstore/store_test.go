package cachelibstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

var bg = context.Background()

// fixedClock is a clock the test moves by hand.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func TestPickleInt(t *testing.T) {
	// pickle.dumps(n, 5) on CPython 3.11.
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "\x80\x05K\x00."},
		{5, "\x80\x05K\x05."},
		{255, "\x80\x05K\xff."},
		{256, "\x80\x05\x95\x04\x00\x00\x00\x00\x00\x00\x00M\x00\x01."},
		{65535, "\x80\x05\x95\x04\x00\x00\x00\x00\x00\x00\x00M\xff\xff."},
		{65536, "\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00J\x00\x00\x01\x00."},
		{2147483647, "\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00J\xff\xff\xff\x7f."},
		{-1, "\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00J\xff\xff\xff\xff."},
		{-300, "\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00J\xd4\xfe\xff\xff."},
	} {
		if got := pickleInt(tc.n); string(got) != tc.want {
			t.Errorf("pickleInt(%d) = %q; want %q", tc.n, got, tc.want)
		}
		if got, err := unpickleInt([]byte(tc.want)); err != nil || got != tc.n {
			t.Errorf("unpickleInt(%q) = %d, %v; want %d", tc.want, got, err, tc.n)
		}
	}
	// Python's LONG1 for 2**31 and -2**40.
	for s, want := range map[string]int64{
		"\x80\x05\x95\x08\x00\x00\x00\x00\x00\x00\x00\x8a\x05\x00\x00\x00\x80\x00.": 1 << 31,
		"\x80\x05\x8a\x06\x00\x00\x00\x00\x00\xff.":                                 -(1 << 40),
		"\x80\x05\x8a\x00.": 0,
	} {
		if got, err := unpickleInt([]byte(s)); err != nil || got != want {
			t.Errorf("unpickleInt(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"", ".", "\x80\x05N.", "\x80\x05K\x01\x02.", "\x80\x05\x8a\x09" + "123456789.", "\x80\x05K"} {
		if _, err := unpickleInt([]byte(bad)); err == nil {
			t.Errorf("unpickleInt(%q) succeeded", bad)
		}
	}
}

func TestHeaderExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 500_000_000)
	for _, tc := range []struct {
		exp  time.Time
		want uint32
		ok   bool
	}{
		{now.Add(time.Hour), 1_800_003_600, true}, // rounded down, as int(time()) + timeout
		{now.Add(600 * time.Millisecond), 1_800_000_001, true},
		{now.Add(400 * time.Millisecond), 1_800_000_000, false}, // the second has begun: not in the future
		{now.Add(-time.Hour), 1_799_996_400, false},
		{time.Unix(0, 0), 0, false},
		{time.Time{}, 0, false},
		{time.Unix(math.MaxUint32+10, 0), math.MaxUint32, true}, // past 2106: clamped
	} {
		got, ok := headerExpiry(tc.exp, now)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("headerExpiry(%v) = %d, %v; want %d, %v", tc.exp, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFileLayout(t *testing.T) {
	dir := t.TempDir()
	clock := &fixedClock{time.Unix(1_800_000_000, 0)}
	s := newStore(t, dir, WithClock(clock.now))
	key := "session:abc"
	if err := s.Save(bg, key, session.Record{Data: []byte("\x80\x02}q\x00."), Expires: clock.t.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// hashlib.md5(b"session:abc").hexdigest()
	if got := FileName(key); got != "32607b0dcb9d5a58fbe913b473137833" {
		t.Fatalf("FileName = %s", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName(key)))
	if err != nil {
		t.Fatal(err)
	}
	want := binary.LittleEndian.AppendUint32(nil, 1_800_003_600)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // a big-endian host
		want = binary.BigEndian.AppendUint32(nil, 1_800_003_600)
	}
	want = append(want, "\x80\x02}q\x00."...)
	if !bytes.Equal(b, want) {
		t.Errorf("file = %q; want %q", b, want)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(filepath.Join(dir, FileName(key))); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v; want 0600", fi.Mode().Perm())
		}
	}
	// The counter: one file, header 0, pickled 1.
	c, err := os.ReadFile(filepath.Join(dir, "2029240f6d1128be89ddc32729463129"))
	if err != nil {
		t.Fatal(err)
	}
	if string(c) != "\x00\x00\x00\x00\x80\x05K\x01." {
		t.Errorf("counter file = %q", c)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 3 { // record, counter, lock
		t.Errorf("directory holds %v", names)
	}
}

func TestByteOrderAndMode(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, WithByteOrder(binary.BigEndian), WithMode(0o640), WithThreshold(0))
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := s.Save(bg, "k", session.Record{Data: []byte("x"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileName("k")))
	if got := binary.BigEndian.Uint32(b); int64(got) != exp.Unix() {
		t.Errorf("big-endian header %d; want %d", got, exp.Unix())
	}
	if rec, err := s.Load(bg, "k"); err != nil || !rec.Expires.Equal(exp) {
		t.Errorf("Load = %v, %v", rec.Expires, err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(filepath.Join(dir, FileName("k"))); fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v; want 0640", fi.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, countName)); !os.IsNotExist(err) {
		t.Errorf("threshold 0 wrote a counter: %v", err)
	}
}

func TestNeverExpires(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	os.WriteFile(filepath.Join(dir, FileName("k")), []byte("\x00\x00\x00\x00data"), 0o600)
	rec, err := s.Load(bg, "k")
	if err != nil || string(rec.Data) != "data" || !rec.Expires.IsZero() || rec.Version == 0 {
		t.Errorf("Load of a header-0 file = %+v, %v; want data, zero Expires, a version", rec, err)
	}
}

func TestCorruptAndOversized(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, WithMaxFileSize(64))
	short := filepath.Join(dir, FileName("short"))
	os.WriteFile(short, []byte("abc"), 0o600)
	if _, err := s.Load(bg, "short"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load(3-byte file) = %v; want ErrCorrupt", err)
	}
	big := filepath.Join(dir, FileName("big"))
	os.WriteFile(big, make([]byte, 65), 0o600)
	if _, err := s.Load(bg, "big"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load(65-byte file, limit 64) = %v; want ErrCorrupt", err)
	}
	// Writes replace a corrupt file; version 0 counts it as absent.
	exp := time.Now().Add(time.Hour)
	if _, err := s.SaveIfVersion(bg, "short", session.Record{Data: []byte("ok"), Expires: exp}); err != nil {
		t.Errorf("SaveIfVersion(0) over a corrupt file: %v", err)
	}
	if rec, err := s.Load(bg, "short"); err != nil || string(rec.Data) != "ok" {
		t.Errorf("Load after the rewrite = %q, %v", rec.Data, err)
	}
	if err := s.Save(bg, "k", session.Record{Data: make([]byte, 61), Expires: exp}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Save of a 65-byte file with limit 64 = %v; want ErrTooLarge", err)
	}
	if err := s.Save(bg, "k", session.Record{Data: make([]byte, 60), Expires: exp}); err != nil {
		t.Errorf("Save of a 64-byte file with limit 64 = %v", err)
	}
}

func TestCounterKeyIsReserved(t *testing.T) {
	s := newStore(t, t.TempDir())
	exp := time.Now().Add(time.Hour)
	s.Save(bg, "x", session.Record{Data: []byte("x"), Expires: exp})
	if err := s.Save(bg, countKey, session.Record{Data: []byte("x"), Expires: exp}); !errors.Is(err, errReservedKey) {
		t.Errorf("Save(counter key) = %v", err)
	}
	if _, err := s.Load(bg, countKey); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Load(counter key) = %v; want ErrNotFound", err)
	}
	if err := s.Delete(bg, countKey); err != nil {
		t.Errorf("Delete(counter key) = %v", err)
	}
	if n, ok, _ := s.readCount(); !ok || n != 1 {
		t.Errorf("counter = %d, %v after the refused calls; want 1", n, ok)
	}
}

func TestExistingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := New(missing, WithExistingDir()); err == nil {
		t.Error("New(missing dir, WithExistingDir) succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("WithExistingDir created the directory")
	}
	s := newStore(t, missing)
	if fi, err := os.Stat(s.Dir()); err != nil || !fi.IsDir() {
		t.Errorf("New did not create the directory: %v", err)
	}
	if names, _ := filepath.Glob(filepath.Join(missing, "*")); len(names) != 0 {
		t.Errorf("New wrote %v", names)
	}
}

// TestPrune: with a threshold, a write when the counter is above it deletes
// the expired files, then those that expire first, as cachelib's _prune.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	clock := &fixedClock{time.Unix(1_800_000_000, 0)}
	s := newStore(t, dir, WithClock(clock.now), WithThreshold(3))
	save := func(k string, ttl time.Duration) {
		t.Helper()
		if err := s.Save(bg, k, session.Record{Data: []byte(k), Expires: clock.t.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	save("a", 1*time.Hour)
	save("b", 5*time.Hour)
	save("c", 2*time.Hour)
	save("d", 4*time.Hour) // counter 3 before: not above, no prune; now 4
	if n, _, _ := s.readCount(); n != 4 {
		t.Fatalf("counter = %d; want 4", n)
	}
	clock.t = clock.t.Add(90 * time.Minute) // "a" expires
	save("e", 3*time.Hour)                  // 4 > 3: prune removes "a" (expired); 3 is not above; then +1
	live := func() []string {
		var out []string
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			if _, err := os.Stat(filepath.Join(dir, FileName(k))); err == nil {
				out = append(out, k)
			}
		}
		return out
	}
	if got := live(); len(got) != 4 || got[0] != "b" {
		t.Errorf("after the first prune: %v; want [b c d e]", got)
	}
	save("f", 6*time.Hour) // 4 > 3: nothing expired; removes "c" (expires first); then +1
	if got := live(); len(got) != 4 || got[0] != "b" || got[1] != "d" {
		t.Errorf("after the second prune: %v; want [b d e f]", got)
	}
	if n, _, _ := s.readCount(); n != 4 {
		t.Errorf("counter = %d; want 4", n)
	}
	// Deletes count down; the lock file was never touched.
	s.Delete(bg, "b")
	s.Delete(bg, "b")
	if n, _, _ := s.readCount(); n != 3 {
		t.Errorf("counter after deleting one file twice = %d; want 3", n)
	}
	if _, err := os.Stat(filepath.Join(dir, lockName)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

func TestDeleteExpiredAndListFiles(t *testing.T) {
	dir := t.TempDir()
	clock := &fixedClock{time.Now()}
	s := newStore(t, dir, WithClock(clock.now))
	for i := 0; i < 5; i++ {
		k := "k" + strconv.Itoa(i)
		if err := s.Save(bg, k, session.Record{Data: []byte(k), Expires: clock.t.Add(time.Duration(i+1) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "tmpcrashed.__wz_cache"), []byte("half"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "tmpcrashed.__wz_cache"), old, old)
	os.WriteFile(filepath.Join(dir, "tmpwriting.__wz_cache"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a cache file"), 0o600)
	os.WriteFile(filepath.Join(dir, countName), append(make([]byte, 4), pickleInt(42)...), 0o600) // drifted
	clock.t = clock.t.Add(150 * time.Minute)                                                      // k0, k1 expired

	files, err := s.ListFiles(bg, 0)
	if err != nil || len(files) != 5 {
		t.Fatalf("ListFiles = %d files, %v; want 5", len(files), err)
	}
	expired := 0
	for i, f := range files {
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("ListFiles not in name order")
		}
		if f.Expired {
			expired++
		}
		if f.Size != 6 || f.Expires.IsZero() {
			t.Errorf("ListFiles row %+v", f)
		}
	}
	if expired != 2 {
		t.Errorf("ListFiles marks %d expired; want 2", expired)
	}
	if got, _ := s.ListFiles(bg, 2); len(got) != 2 {
		t.Errorf("ListFiles(limit 2) = %d rows", len(got))
	}

	n, err := s.DeleteExpired(bg)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tmpcrashed.__wz_cache")); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "tmpwriting.__wz_cache")); err != nil {
		t.Errorf("fresh temporary file removed")
	}
	if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
		t.Errorf("foreign file removed")
	}
	// Recounted as cachelib's _list_dir counts: 3 cache files + README.
	if c, _, _ := s.readCount(); c != 4 {
		t.Errorf("counter after DeleteExpired = %d; want 4", c)
	}
}
