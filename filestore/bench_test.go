package filestore

import (
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch.
func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) session.Store {
		return newStore(b, b.TempDir())
	})
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
