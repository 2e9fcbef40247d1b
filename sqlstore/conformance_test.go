package sqlstore_test

import (
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
	"github.com/flaskgo/session/storetest"
)

func TestConformance(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t) // skip early, and loudly, if the server is down
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		var mu sync.Mutex
		handles := map[session.Store]*sql.DB{}
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) session.Store {
				st, db := b.newStore(t, sqlstore.WithClock(clock))
				mu.Lock()
				handles[st] = db
				mu.Unlock()
				return st
			},
			Advance: func(d time.Duration) { offset.Add(int64(d)) },
			Break: func(t *testing.T, s session.Store) {
				mu.Lock()
				db := handles[s]
				mu.Unlock()
				if err := db.Close(); err != nil {
					t.Fatalf("close *sql.DB: %v", err)
				}
			},
		})
	})
}

// TestMiddleware drives the real session middleware over each database:
// overlapping requests of one visitor must not lose updates.
func TestMiddleware(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t)
		storetest.RunMiddleware(t, storetest.Harness{
			New: func(t *testing.T) session.Store {
				st, _ := b.newStore(t)
				return st
			},
		})
	})
}
