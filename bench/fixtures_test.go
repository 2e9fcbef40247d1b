package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The typical session every benchmark uses: what a logged-in shop visitor
// carries in Flask (Flask-Login's user id, a permanent flag, a small cart,
// a CSRF token and a preference).
const (
	secretKey = "bench-secret-key-0123456789abcdef"
	csrfToken = "9f86d081884c7d659a2feaa0c55ad015"
	userID    = "42"
)

func typicalSession() map[string]any {
	return map[string]any{
		"_permanent": true,
		"_user_id":   userID,
		"cart":       map[string]any{"sku-1": int64(2), "sku-7": int64(1)},
		"csrf":       csrfToken,
		"theme":      "dark",
	}
}

// benchNow is the fixed clock of every signed cookie, so a run does not
// depend on the wall clock and cookies never expire mid-run.
var benchNow = time.Unix(1_750_000_000, 0)

// serve runs one request through h the way every request benchmark does:
// a fresh httptest request and recorder per iteration, so that the
// difference to BenchmarkBareHarness is what the session layer costs.
func serve(h http.Handler, cookie string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// cookieFrom returns "name=value" of the first Set-Cookie of w.
func cookieFrom(tb testing.TB, w *httptest.ResponseRecorder) string {
	tb.Helper()
	cs := w.Result().Cookies()
	if len(cs) == 0 || cs[0].Value == "" {
		tb.Fatalf("no session cookie in the response (status %d, headers %v)", w.Code, w.Header())
	}
	return cs[0].Name + "=" + cs[0].Value
}

var nop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// BenchmarkBareHarness is the cost of the harness alone (request, recorder,
// a handler that does nothing, no middleware). Subtract it from the request
// benchmarks to get what a session layer adds.
func BenchmarkBareHarness(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		serve(nop, "session=x")
	}
}
