package redisstore

import (
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
	"github.com/redis/go-redis/v9"
)

// harness builds every store on its own client, so that Break can close
// the client of one store without touching the others. janitor deletes the
// keys of each store when its subtest ends, also when its client is broken.
func harness(b backend, janitor redis.UniversalClient) storetest.Harness {
	var mu sync.Mutex
	clients := map[session.Store]redis.UniversalClient{}
	return storetest.Harness{
		New: func(t *testing.T) session.Store {
			c := b.client(t)
			p := testPrefix(t, janitor)
			s := New(c, WithKeyPrefix(p+"s:"), WithUserIndexPrefix(p+"i:"))
			mu.Lock()
			clients[s] = c
			mu.Unlock()
			return s
		},
		// Redis expires keys with millisecond precision on its own clock,
		// which is this machine's: no Advance, real sleeps of a few 100ms.
		TTLResolution: 100 * time.Millisecond,
		Break: func(t *testing.T, s session.Store) {
			mu.Lock()
			c := clients[s]
			mu.Unlock()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, harness(b, b.client(t)))
		})
	}
}

func TestMiddlewareConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.RunMiddleware(t, harness(b, b.client(t)))
		})
	}
}
