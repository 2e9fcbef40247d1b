package filestore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

var benchData = make([]byte, 512) // about a typical encoded session

func benchStore(b *testing.B, n int, opts ...Option) (*Store, []string) {
	b.Helper()
	s := newStore(b, b.TempDir(), opts...)
	keys := make([]string, n)
	exp := time.Now().Add(time.Hour)
	for i := range keys {
		keys[i] = "session:" + strconv.Itoa(i)
		if err := s.Save(context.Background(), keys[i], session.Record{Data: benchData, Expires: exp}); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

func BenchmarkLoad(b *testing.B) {
	s, keys := benchStore(b, 256)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Load(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	s, keys := benchStore(b, 256)
	ctx := context.Background()
	rec := session.Record{Data: benchData, Expires: time.Now().Add(time.Hour), UserID: "u"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Save(ctx, keys[i%len(keys)], rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSaveIfVersion(b *testing.B) {
	s, _ := benchStore(b, 0)
	ctx := context.Background()
	rec := session.Record{Data: benchData, Expires: time.Now().Add(time.Hour)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := s.SaveIfVersion(ctx, "k", rec)
		if err != nil {
			b.Fatal(err)
		}
		rec.Version = v
	}
}

// BenchmarkMiddleware runs whole requests through the session middleware.
func BenchmarkMiddleware(b *testing.B) {
	storetest.BenchmarkMiddleware(b, func(b *testing.B) session.Store {
		s, err := New(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
