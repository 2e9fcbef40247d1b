package redisstore

import (
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch on the single
// node (BenchmarkMiddleware in middleware_test.go measures whole requests).
func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) session.Store {
		for _, back := range backends {
			if !back.cluster {
				s, _ := newStore(b, back.client(b))
				return s
			}
		}
		b.Fatal("no single-node backend")
		return nil
	})
}
