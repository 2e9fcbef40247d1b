package memcachestore

import (
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// harness builds every store on its own server list, so that Break can point
// one store at a dead port without touching the others.
func harness() storetest.Harness {
	var mu sync.Mutex
	lists := map[session.Store]interface{ SetServers(...string) error }{}
	return storetest.Harness{
		New: func(t *testing.T) session.Store {
			c, ss := newClient(t)
			s := New(c) // the suite's keys are random; a prefix would make its 250-byte key too long
			mu.Lock()
			lists[s] = ss
			mu.Unlock()
			return s
		},
		// memcached expires items on whole seconds of its own clock.
		TTLResolution: time.Second,
		Break: func(t *testing.T, s session.Store) {
			mu.Lock()
			ss := lists[s]
			mu.Unlock()
			if err := ss.SetServers("127.0.0.1:1"); err != nil { // nothing listens on port 1
				t.Fatal(err)
			}
		},
	}
}

// withLimits tells the suite what this store cannot report: Record.UserID
// and Record.Expires do not come back from Load (see the package doc).
func withLimits(h storetest.Harness) storetest.Harness {
	h.NoUserID = true
	h.NoExpires = true
	return h
}

func TestConformance(t *testing.T) {
	newClient(t) // skip (or fail under CI) once, not in every subtest
	storetest.Run(t, withLimits(harness()))
}

func TestMiddlewareConformance(t *testing.T) {
	newClient(t)
	storetest.RunMiddleware(t, withLimits(harness()))
}
