package cachelibstore

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
)

// seedFiles adds the vectors' cache files and counter-like files.
func seedFiles(f *testing.F) {
	data, err := os.ReadFile("../testdata/flask-session-legacy.json")
	if err != nil {
		f.Fatal(err)
	}
	var v struct {
		Legacy  struct{ Records []json.RawMessage } `json:"legacy_pickle"`
		Msgspec struct{ Records []json.RawMessage } `json:"msgspec_0_8"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		f.Fatal(err)
	}
	for _, raw := range append(v.Legacy.Records, v.Msgspec.Records...) {
		var r struct {
			Filesystem *struct {
				FileB64 string `json:"file_b64"`
			} `json:"filesystem"`
		}
		json.Unmarshal(raw, &r)
		if r.Filesystem != nil {
			b, _ := base64.StdEncoding.DecodeString(r.Filesystem.FileB64)
			f.Add(b)
		}
	}
	for _, n := range []int64{0, 7, 300, 70000, -5, 1 << 40} {
		f.Add(append([]byte{0, 0, 0, 0}, pickleInt(n)...))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
}

// FuzzParseFile: any bytes either fail to parse with ErrCorrupt or split
// into a header and payload that write back to the same bytes; the counter
// decoder never panics and round-trips what it accepts.
func FuzzParseFile(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			fl, err := parseFile(b, order)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) || len(b) >= headerSize {
					t.Fatalf("parseFile(%d bytes) = %v", len(b), err)
				}
				continue
			}
			if got := appendFile(nil, fl, order); !bytes.Equal(got, b) {
				t.Fatalf("appendFile(parseFile(b)) = %x; want %x", got, b)
			}
			if n, err := unpickleInt(fl.payload); err == nil {
				if back, err := unpickleInt(pickleInt(n)); err != nil || back != n {
					t.Fatalf("counter %d round trip = %d, %v", n, back, err)
				}
			}
		}
	})
}

// FuzzLoad: a store reading an untrusted file never panics, never reads a
// file over its size limit, and reports a record, ErrNotFound or
// ErrCorrupt; the pickle it returns goes through the restricted unpickler
// without panicking.
func FuzzLoad(f *testing.F) {
	seedFiles(f)
	const limit = 4096
	dir := f.TempDir()
	at := time.Unix(1_795_686_407, 0) // when the vectors were written
	s, err := New(dir, WithMaxFileSize(limit), WithClock(func() time.Time { return at }))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	path := filepath.Join(dir, FileName("k"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A new file each time: truncating or renaming over one makes ext4
		// flush it, which slows fuzzing to a crawl.
		os.Remove(path)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Load(bg, "k")
		switch {
		case err == nil:
			if len(b) > limit || !bytes.Equal(rec.Data, b[headerSize:]) || rec.Version == 0 {
				t.Fatalf("Load of %d bytes = %d bytes of data, version %d", len(b), len(rec.Data), rec.Version)
			}
			flasksession.Pickle{}.Unmarshal(rec.Data) // must not panic
		case errors.Is(err, session.ErrNotFound):
			if len(b) < headerSize || len(b) > limit {
				t.Fatalf("Load of %d bytes = %v; want ErrCorrupt", len(b), err)
			}
		case errors.Is(err, ErrCorrupt):
			if len(b) >= headerSize && len(b) <= limit {
				t.Fatalf("Load of %d bytes = %v", len(b), err)
			}
		default:
			t.Fatalf("Load = %v", err)
		}
	})
}
