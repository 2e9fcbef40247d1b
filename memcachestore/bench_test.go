package memcachestore

import (
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch.
func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) session.Store {
		s, _, _ := newStore(b)
		return s
	})
}

// BenchmarkMiddleware runs whole requests through the session middleware.
func BenchmarkMiddleware(b *testing.B) {
	storetest.BenchmarkMiddleware(b, func(b *testing.B) session.Store {
		c, _ := newClient(b)
		return New(c)
	})
}
