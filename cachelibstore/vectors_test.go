package cachelibstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/typedjson"
)

// vectorFile is a filesystem record of testdata/flask-session-legacy.json:
// L-fs-* were written by Flask-Session 0.3.2, N-cachelib-fs-login by 0.8.0
// (SESSION_TYPE="cachelib" with a FileSystemCache), all through cachelib
// 0.9 on x86_64.
type vectorFile struct {
	ID         string `json:"id"`
	Backend    string `json:"backend"`
	StoreKey   string `json:"store_key"`
	SID        string `json:"sid"`
	Written    int64  `json:"written_at_unix"`
	Contents   any    `json:"contents"`
	Contents08 any    `json:"contents_written"`
	Filesystem *struct {
		FileName string `json:"file_name"`
		FileB64  string `json:"file_b64"`
		Header   int64  `json:"header_expiry_unix"`
		Count    string `json:"count_file_name"`
	} `json:"filesystem"`
}

func loadVectorFiles(t *testing.T) []vectorFile {
	t.Helper()
	data, err := os.ReadFile("../testdata/flask-session-legacy.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Legacy  struct{ Records []vectorFile } `json:"legacy_pickle"`
		Msgspec struct{ Records []vectorFile } `json:"msgspec_0_8"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // big ints stay exact
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var out []vectorFile
	for _, r := range append(v.Legacy.Records, v.Msgspec.Records...) {
		if r.Filesystem != nil && r.Filesystem.FileB64 != "" {
			out = append(out, r)
		}
	}
	return out
}

// TestVectorFiles loads the cache files of the vectors, 0.3.2's and 0.8's,
// by their store keys, at the time they were written, and decodes them with
// flasksession.Pickle: 0.8 pickles dict(session) in this backend as 0.3.2
// does (it does not use msgspec for it), so one serializer reads both.
func TestVectorFiles(t *testing.T) {
	recs := loadVectorFiles(t)
	if len(recs) < 3 {
		t.Fatalf("found %d filesystem records in the vectors; want the 0.3.2 and 0.8 ones (3)", len(recs))
	}
	seen08 := false
	for _, r := range recs {
		t.Run(r.ID, func(t *testing.T) {
			if r.Backend == "cachelib" {
				seen08 = true
			}
			if got := cachelibstore.FileName(r.StoreKey); got != r.Filesystem.FileName {
				t.Fatalf("FileName(store key) = %s; cachelib named the file %s", got, r.Filesystem.FileName)
			}
			if r.Filesystem.Count != "" && cachelibstore.FileName("__wz_cache_count") != r.Filesystem.Count {
				t.Errorf("counter file name %s; want %s", cachelibstore.FileName("__wz_cache_count"), r.Filesystem.Count)
			}
			raw, err := base64.StdEncoding.DecodeString(r.Filesystem.FileB64)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, r.Filesystem.FileName), raw, 0o600); err != nil {
				t.Fatal(err)
			}
			at := time.Unix(r.Written, 0)
			st, err := cachelibstore.New(dir, cachelibstore.WithClock(func() time.Time { return at }))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rec, err := st.Load(context.Background(), r.StoreKey)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if rec.Expires.Unix() != r.Filesystem.Header {
				t.Errorf("Expires = %d; the header says %d", rec.Expires.Unix(), r.Filesystem.Header)
			}
			got, err := flasksession.Pickle{}.Unmarshal(rec.Data)
			if err != nil {
				t.Fatalf("Pickle.Unmarshal: %v", err)
			}
			typed := r.Contents
			if typed == nil {
				typed = r.Contents08
			}
			want, err := typedjson.ToGo(asDecoded(typed))
			if err != nil {
				t.Fatal(err)
			}
			if d := typedjson.Diff(want, got); d != "" {
				t.Errorf("decoded session differs from the vector: %s", d)
			}
			// Past the header's second the file is dead.
			late, err := cachelibstore.New(dir, cachelibstore.WithClock(func() time.Time { return time.Unix(r.Filesystem.Header, 0) }))
			if err != nil {
				t.Fatal(err)
			}
			defer late.Close()
			if _, err := late.Load(context.Background(), r.StoreKey); err == nil {
				t.Errorf("Load at the expiry second found the record")
			} else if !isNotFound(err) {
				t.Errorf("Load at the expiry second: %v", err)
			}
		})
	}
	if !seen08 {
		t.Errorf("no Flask-Session 0.8 filesystem record in the vectors")
	}
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, session.ErrNotFound) }

// asDecoded rewrites the typed notation's sets and dates as flasksession
// decodes them (lists and "YYYY-MM-DD" strings), which typedjson.ToGo
// does not know.
func asDecoded(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = asDecoded(e)
		}
		return out
	case map[string]any:
		if inner, ok := x["$set"]; ok && len(x) == 1 {
			return asDecoded(inner)
		}
		if inner, ok := x["$date"]; ok && len(x) == 1 {
			return inner
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = asDecoded(e)
		}
		return out
	}
	return v
}
