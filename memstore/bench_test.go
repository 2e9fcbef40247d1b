package memstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// benchData is about the size of a typical encoded session.
var benchData = make([]byte, 512)

func benchStore(b *testing.B, n int) (*Store, []string) {
	b.Helper()
	s := New(WithSweepInterval(0))
	b.Cleanup(func() { s.Close() })
	keys := make([]string, n)
	exp := time.Now().Add(time.Hour)
	for i := range keys {
		keys[i] = "session:" + strconv.Itoa(i)
		if err := s.Save(context.Background(), keys[i], session.Record{Data: benchData, Expires: exp, UserID: "u" + strconv.Itoa(i%100)}); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch.
func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) session.Store {
		s := New(WithSweepInterval(0))
		b.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkLoadParallel(b *testing.B) {
	s, keys := benchStore(b, 1024)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			if _, err := s.Load(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkMixedParallel is a request-like mix: 9 loads for every save.
func BenchmarkMixedParallel(b *testing.B) {
	s, keys := benchStore(b, 1024)
	ctx := context.Background()
	rec := session.Record{Data: benchData, Expires: time.Now().Add(time.Hour)}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			k := keys[i%len(keys)]
			var err error
			if i%10 == 0 {
				err = s.Save(ctx, k, rec)
			} else {
				_, err = s.Load(ctx, k)
			}
			if err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkMiddleware runs whole requests through the session middleware.
func BenchmarkMiddleware(b *testing.B) {
	storetest.BenchmarkMiddleware(b, func(b *testing.B) session.Store {
		s := New()
		b.Cleanup(func() { s.Close() })
		return s
	})
}
