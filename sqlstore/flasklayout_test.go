package sqlstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
	"github.com/flaskgo/session/storetest"
)

// flaskOnly shows the suite (and a Manager) exactly the capabilities of the
// Flask-Session layout: not session.UserIndex, which *Store has as methods
// that report ErrNotSupported in this layout.
type flaskOnly struct{ flaskCaps }

type flaskCaps interface {
	session.Store
	session.Updater
	session.Toucher
	session.Sweeper
	session.Lister
}

// newFlaskStore builds a store in the Flask-Session layout on a fresh table
// whose name contains "sqlfs", migrated by Go, dropped when tb ends.
func (b *backend) newFlaskStore(tb testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	tb.Helper()
	admin := b.admin(tb)
	db := b.open(tb)
	table := "sqlfs_" + randomTable(tb)[len("sqlstore_test_"):]
	st, err := sqlstore.New(db, b.dialect, append([]sqlstore.Option{sqlstore.WithTable(table), sqlstore.WithFlaskSessionLayout()}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { dropTable(tb, admin, b.dialect, table) })
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return st, table
}

func TestFlaskLayoutConformance(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t)
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) session.Store {
				st, _ := b.newFlaskStore(t, sqlstore.WithClock(clock))
				return flaskOnly{st}
			},
			Advance:  func(d time.Duration) { offset.Add(int64(d)) },
			NoUserID: true,
		})
	})
}

func TestFlaskLayoutMiddleware(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t)
		storetest.RunMiddleware(t, storetest.Harness{
			New: func(t *testing.T) session.Store {
				st, _ := b.newFlaskStore(t)
				return flaskOnly{st}
			},
			NoUserID: true,
		})
	})
}

func TestFlaskLayoutNoUserIndex(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st, _ := b.newFlaskStore(t)
		if _, err := st.UserSessions(context.Background(), "alice"); !errors.Is(err, session.ErrNotSupported) || !errors.Is(err, sqlstore.ErrNoUserIndex) {
			t.Errorf("UserSessions = %v; want ErrNotSupported and ErrNoUserIndex", err)
		}
		if _, err := st.DeleteUserSessions(context.Background(), "alice"); !errors.Is(err, session.ErrNotSupported) {
			t.Errorf("DeleteUserSessions = %v; want ErrNotSupported", err)
		}
	})
}
