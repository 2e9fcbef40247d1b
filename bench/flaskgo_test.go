package bench

import (
	"net/http"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// flaskgoManager returns a Manager and a cookie holding the typical
// session, issued by that Manager. Signed-cookie managers run on the fixed
// bench clock; server-side ones keep the real clock, which the store's
// expiry checks use too.
func flaskgoManager(tb testing.TB, cfg session.Config) (*session.Manager, string) {
	tb.Helper()
	cfg.SecretKey = secretKey
	if cfg.Store == nil {
		cfg.Now = func() time.Time { return benchNow }
	}
	m, err := session.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	seed := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		for k, v := range typicalSession() {
			s.Set(k, v)
		}
	}))
	return m, cookieFrom(tb, serve(seed, ""))
}

// The three request shapes every library is measured on.
var (
	untouched = nop
	readOne   = func(get func(r *http.Request) string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if get(r) != "dark" {
				http.Error(w, "theme lost", http.StatusInternalServerError)
			}
		})
	}
)

func flaskgoRead(r *http.Request) string { return session.From(r).GetString("theme") }

// Every write stores the value already there, so that repeated runs (-count)
// keep the session the same size; none of the libraries skips such a write.
func flaskgoWrite(w http.ResponseWriter, r *http.Request) { session.From(r).Set("theme", "dark") }

// runRequests benchmarks h with cookie after checking that one request
// succeeds (a benchmark of a failing handler would measure the wrong thing).
func runRequests(b *testing.B, h http.Handler, cookie string, wantSetCookie bool) {
	b.Helper()
	if w := serve(h, cookie); w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	} else if got := len(w.Result().Cookies()) > 0; got != wantSetCookie {
		b.Fatalf("Set-Cookie present = %v, want %v (headers %v)", got, wantSetCookie, w.Header())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve(h, cookie)
	}
}

// BenchmarkFlaskgoCodec measures the signed-cookie codec alone: signature
// check + tagged-JSON decode, and tagged-JSON encode + signing, of the
// typical session. "decode"/"encode" use the Manager's default
// (Config.MinCompressSize: a payload this small is not compressed);
// "decode-zlib"/"encode-zlib" apply Flask's rule (compress when it saves 2
// bytes), which is what Flask itself does with this session.
func BenchmarkFlaskgoCodec(b *testing.B) {
	payload, err := taggedjson.Marshal(typicalSession())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		minCompress int
	}{{"", session.DefaultMinCompressSize}, {"-zlib", 0}} {
		sg, err := signer.New(signer.Config{Keys: [][]byte{[]byte(secretKey)}, MinCompressLen: c.minCompress})
		if err != nil {
			b.Fatal(err)
		}
		cookie := sg.Encode(payload, benchNow)
		if compressed := cookie[0] == '.'; compressed != (c.name == "-zlib") {
			b.Fatalf("cookie %q: compressed = %v", cookie, compressed)
		}
		b.Logf("typical session: %d JSON bytes, %d-byte cookie value (MinCompressLen %d)", len(payload), len(cookie), c.minCompress)
		b.Run("decode"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p, _, _, err := sg.Decode(cookie, session.DefaultLifetime, benchNow)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := taggedjson.Unmarshal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode"+c.name, func(b *testing.B) {
			sess := typicalSession()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p, err := taggedjson.Marshal(sess)
				if err != nil {
					b.Fatal(err)
				}
				_ = sg.Encode(p, benchNow)
			}
		})
	}
}

// BenchmarkFlaskgoCookie runs whole requests through the middleware with
// the default signed (Flask-compatible) cookie.
func BenchmarkFlaskgoCookie(b *testing.B) {
	m, cookie := flaskgoManager(b, session.Config{})
	// The typical session is permanent, and Flask re-issues a permanent
	// session on every request (SESSION_REFRESH_EACH_REQUEST), even one
	// whose view never looks at it; so does this library by default...
	b.Run("untouched", func(b *testing.B) { runRequests(b, m.Handler(untouched), cookie, true) })
	b.Run("read", func(b *testing.B) { runRequests(b, m.Handler(readOne(flaskgoRead)), cookie, true) })
	b.Run("write", func(b *testing.B) { runRequests(b, m.Handler(http.HandlerFunc(flaskgoWrite)), cookie, true) })
	// ...unless refresh is turned off, which is how scs and gorilla behave.
	mNoRefresh, cookie2 := flaskgoManager(b, session.Config{DisableRefresh: true})
	b.Run("untouched-norefresh", func(b *testing.B) { runRequests(b, mNoRefresh.Handler(untouched), cookie2, false) })
	b.Run("read-norefresh", func(b *testing.B) {
		runRequests(b, mNoRefresh.Handler(readOne(flaskgoRead)), cookie2, false)
	})
}

// BenchmarkFlaskgoMemstore runs the same requests with server-side sessions
// in the in-memory store (the cookie holds only the session id).
func BenchmarkFlaskgoMemstore(b *testing.B) {
	st := memstore.New()
	b.Cleanup(func() { st.Close() })
	m, cookie := flaskgoManager(b, session.Config{Store: st, DisableRefresh: true})
	b.Run("untouched", func(b *testing.B) { runRequests(b, m.Handler(untouched), cookie, false) })
	b.Run("read", func(b *testing.B) { runRequests(b, m.Handler(readOne(flaskgoRead)), cookie, false) })
	// The session id does not change, so with refresh off there is nothing
	// to re-send: the write goes to the store only.
	b.Run("write", func(b *testing.B) { runRequests(b, m.Handler(http.HandlerFunc(flaskgoWrite)), cookie, false) })
}
