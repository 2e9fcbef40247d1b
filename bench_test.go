package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// typicalSession is about what a logged-in shop visitor carries: a ~160-byte
// cookie.
func typicalSession(s *session.Session) {
	s.Set("_permanent", true)
	s.Set("_user_id", "42")
	s.Set("cart", map[string]any{"sku-1": 2, "sku-7": 1})
	s.Set("csrf", "5f2b9c0e7d1a4b3c8e6f0a9d2c4b7e1f")
	s.Set("theme", "dark")
}

func benchCookie(b *testing.B, m *session.Manager) string {
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typicalSession(session.From(r))
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	c := rec.Result().Cookies()
	if len(c) != 1 {
		b.Fatal("no cookie")
	}
	return c[0].Value
}

func benchRequest(b *testing.B, h http.Handler, cookie string) {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "session="+cookie)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(discardWriter{h: http.Header{}}, req)
	}
}

// discardWriter is the cheapest ResponseWriter, so the numbers show the
// middleware's own cost.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header {
	for k := range d.h {
		delete(d.h, k)
	}
	return d.h
}
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

func BenchmarkMiddleware(b *testing.B) {
	m, err := session.New(session.Config{SecretKey: "bench-secret", DisableRefresh: true,
		Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		b.Fatal(err)
	}
	cookie := benchCookie(b, m)
	b.Logf("cookie: %d bytes", len(cookie))
	b.Run("bare", func(b *testing.B) {
		benchRequest(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), cookie)
	})
	b.Run("untouched", func(b *testing.B) {
		benchRequest(b, m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})), cookie)
	})
	b.Run("read", func(b *testing.B) {
		benchRequest(b, m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Get("_user_id")
		})), cookie)
	})
	b.Run("write", func(b *testing.B) {
		benchRequest(b, m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			session.From(r).Set("theme", "light")
		})), cookie)
	})
}
