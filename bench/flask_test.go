package bench

import (
	"encoding/json"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// python is Debian's interpreter, the one that has Flask 2.2 installed; the
// python3 first on PATH may be another one without Flask.
const python = "/usr/bin/python3"

type flaskTimings struct {
	DecodeNS float64 `json:"decode_ns"`
	EncodeNS float64 `json:"encode_ns"`
	Cookie   string  `json:"cookie"`
}

var (
	flaskOnce   sync.Once
	flaskResult flaskTimings
	flaskErr    string
)

// requireFlask skips (or, under CI=true, fails) when Flask is missing.
func requireFlask(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command(python, "-c", "import flask").CombinedOutput(); err != nil {
		msg := "FLASK BENCHMARK NOT RUN: Flask is not importable by " + python + " (apt-get install python3-flask): " + err.Error() + ": " + string(out)
		testenv.Unavailable(tb, "%s", msg)
	}
}

// BenchmarkFlaskCodec reports what Flask's own codec costs for the typical
// session, measured by timeit in one Python run (the benchmark loop itself
// does nothing, so B/op and allocs/op are not meaningful here; ns/op is
// overridden with Python's time per call).
func BenchmarkFlaskCodec(b *testing.B) {
	requireFlask(b)
	flaskOnce.Do(func() {
		out, err := exec.Command(python, "testdata/flask_codec.py", secretKey, csrfToken, userID, "1.0").Output()
		if err != nil {
			flaskErr = err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				flaskErr += ": " + string(ee.Stderr)
			}
			return
		}
		if err := json.Unmarshal(out, &flaskResult); err != nil {
			flaskErr = "bad output " + string(out) + ": " + err.Error()
		}
	})
	if flaskErr != "" {
		b.Fatal(flaskErr)
	}
	// The cookie Flask signed must read back in Go as the typical session:
	// both sides measure the same work.
	sg, err := signer.New(signer.Config{Keys: [][]byte{[]byte(secretKey)}})
	if err != nil {
		b.Fatal(err)
	}
	p, _, _, err := sg.Decode(flaskResult.Cookie, session.DefaultLifetime, time.Now())
	if err != nil {
		b.Fatalf("Flask's cookie %q does not verify in Go: %v", flaskResult.Cookie, err)
	}
	got, err := taggedjson.Unmarshal(p)
	if err != nil {
		b.Fatal(err)
	}
	if got["csrf"] != csrfToken || got["theme"] != "dark" || len(got) != len(typicalSession()) {
		b.Fatalf("Flask's cookie decodes to %v", got)
	}
	report := func(ns float64) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportMetric(ns, "ns/op")
			b.ReportMetric(ns/1000, "µs/op")
		}
	}
	b.Run("decode", report(flaskResult.DecodeNS))
	b.Run("encode", report(flaskResult.EncodeNS))
}
