package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
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
func (b *backend) newFlaskStore(tb testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, *sql.DB) {
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
	return st, db
}

func TestFlaskLayoutConformance(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t)
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		var mu sync.Mutex
		handles := map[session.Store]*sql.DB{}
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) session.Store {
				st, db := b.newFlaskStore(t, sqlstore.WithClock(clock))
				mu.Lock()
				handles[flaskOnly{st}] = db
				mu.Unlock()
				return flaskOnly{st}
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

// TestFlaskLayoutCaseInsensitiveTable runs on the table exactly as
// create_all makes it in MySQL, whose session_id compares without case: Go
// still loads only the exact key.
func TestFlaskLayoutCaseInsensitiveTable(t *testing.T) {
	b := mysqlBackend
	admin := b.admin(t)
	db := b.open(t)
	table := "sqlfs_" + randomTable(t)[len("sqlstore_test_"):]
	t.Cleanup(func() { dropTable(t, admin, b.dialect, table) })
	// SQLAlchemy's CREATE TABLE for Flask-Session's model on MySQL.
	if _, err := db.Exec("CREATE TABLE `" + table + "` (id INTEGER NOT NULL AUTO_INCREMENT, session_id VARCHAR(255), data BLOB, expiry DATETIME, PRIMARY KEY (id), UNIQUE (session_id))"); err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.New(db, b.dialect, sqlstore.WithTable(table), sqlstore.WithFlaskSessionLayout())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Save(ctx, "session:abc", session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, "session:ABC"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Load of a key differing in case = %v; want ErrNotFound", err)
	}
	if _, err := st.Load(ctx, "session:abc"); err != nil {
		t.Errorf("Load: %v", err)
	}
	// BLOB holds 65,535 bytes; strict mode refuses more instead of cutting.
	if err := st.Save(ctx, "session:big", session.Record{Data: make([]byte, 70000), Expires: time.Now().Add(time.Hour)}); err == nil {
		t.Errorf("Save of 70,000 bytes into BLOB succeeded; want an error")
	}
}
