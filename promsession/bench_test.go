package promsession_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/promsession"
	"github.com/prometheus/client_golang/prometheus"
)

// The cost of the observer on the middleware's cookie read and write paths,
// the same requests as the core's BenchmarkMiddleware: run with -benchmem
// and compare none with prometheus.

func typicalSession(s *session.Session) {
	s.Set("_permanent", true)
	s.Set("_user_id", "42")
	s.Set("cart", map[string]any{"sku-1": 2, "sku-7": 1})
	s.Set("csrf", "5f2b9c0e7d1a4b3c8e6f0a9d2c4b7e1f")
	s.Set("theme", "dark")
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
	now := func() time.Time { return time.Unix(1700000000, 0) }
	for _, obs := range []string{"none", "prometheus"} {
		for _, mode := range []string{"cookie", "memstore"} {
			cfg := session.Config{SecretKey: "bench-secret-bench-secret-bench-secret", DisableRefresh: true, Now: now}
			if mode == "memstore" {
				ms := memstore.New(memstore.WithClock(now))
				b.Cleanup(func() { ms.Close() })
				cfg.Store = ms
			}
			if obs == "prometheus" {
				o, err := promsession.New(prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				cfg.Observer = o
			}
			m, err := session.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				typicalSession(session.From(r))
			})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				b.Fatal("no cookie")
			}
			for _, tc := range []struct {
				name string
				h    func(s *session.Session)
			}{
				{"read", func(s *session.Session) { s.Get("_user_id") }},
				{"write", func(s *session.Session) { s.Set("theme", "light") }},
			} {
				b.Run(mode+"/"+tc.name+"/"+obs, func(b *testing.B) {
					h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.h(session.From(r)) }))
					req := httptest.NewRequest("GET", "/", nil)
					req.Header.Set("Cookie", "session="+cookies[0].Value)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						h.ServeHTTP(discardWriter{h: http.Header{}}, req)
					}
				})
			}
		}
	}
}

// BenchmarkSessionEvent is the observer's own cost per event, without the
// request around it (whose timing is noisy on a shared machine).
func BenchmarkSessionEvent(b *testing.B) {
	o, err := promsession.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		e    session.Event
	}{
		{"committed", session.Event{Kind: session.EventCommitted, Mode: session.SignedCookie, Op: session.OpCookieWritten, Size: 180, Duration: 20 * time.Microsecond}},
		{"rejected", session.Event{Kind: session.EventRejected, Mode: session.SignedCookie, Reason: session.ReasonBadSignature}},
		{"store_call", session.Event{Kind: session.EventStoreCall, Mode: session.ServerSide, Op: session.OpLoad, Outcome: session.OutcomeOK, Duration: 300 * time.Microsecond}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				o.SessionEvent(ctx, tc.e)
			}
		})
	}
}
