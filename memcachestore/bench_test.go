package memcachestore

import (
	"context"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// A session of typical size: a few hundred bytes of msgpack.
var benchData = make([]byte, 512)

func BenchmarkLoad(b *testing.B) {
	s, _, _ := newStore(b)
	ctx := context.Background()
	if err := s.Save(ctx, "k", session.Record{Data: benchData, Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Load(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	s, _, _ := newStore(b)
	ctx := context.Background()
	rec := session.Record{Data: benchData, Expires: time.Now().Add(time.Hour)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Save(ctx, "k", rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSaveIfVersion(b *testing.B) {
	s, _, _ := newStore(b)
	ctx := context.Background()
	rec := session.Record{Data: benchData, Expires: time.Now().Add(time.Hour)}
	v, err := s.SaveIfVersion(ctx, "k", rec)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec.Version = v
		if v, err = s.SaveIfVersion(ctx, "k", rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTouch(b *testing.B) {
	s, _, _ := newStore(b)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := s.Save(ctx, "k", session.Record{Data: benchData, Expires: exp}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Touch(ctx, "k", exp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware runs whole requests through the session middleware.
func BenchmarkMiddleware(b *testing.B) {
	storetest.BenchmarkMiddleware(b, func(b *testing.B) session.Store {
		c, _ := newClient(b)
		return New(c)
	})
}
