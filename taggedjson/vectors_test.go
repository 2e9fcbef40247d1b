package taggedjson_test

import (
	"testing"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/internal/vectors"
	"github.com/flaskgo/session/taggedjson"
)

func loadVectors(t testing.TB) *vectors.CookieVectors {
	t.Helper()
	v, err := vectors.Load("../testdata/flask-cookies.json")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every payload Flask wrote or accepted decodes to what Flask saw.
func TestVectorsDecode(t *testing.T) {
	for _, p := range loadVectors(t).Positive {
		t.Run(p.Name, func(t *testing.T) {
			want, err := p.DecodedValue()
			if err != nil {
				t.Fatal(err)
			}
			got, err := taggedjson.Unmarshal([]byte(p.PayloadJSON))
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", p.PayloadJSON, err)
			}
			if d := typedjson.Diff(got, want); d != "" {
				t.Errorf("decoded payload differs from Flask's: %s", d)
			}
		})
	}
}

// Every session Flask serialised encodes to the same bytes.
func TestVectorsEncode(t *testing.T) {
	n := 0
	for _, p := range loadVectors(t).Positive {
		s, ok, err := p.SessionValue()
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if !ok {
			continue
		}
		n++
		t.Run(p.Name, func(t *testing.T) {
			got, err := taggedjson.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != p.PayloadJSON {
				t.Errorf("Marshal:\n got %s\nwant %s", got, p.PayloadJSON)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d vectors have a session; the vector file looks truncated", n)
	}
}
