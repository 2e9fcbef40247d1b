package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the program picks and registers the driver

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/sqlstore"
)

func Example() {
	dir, err := os.MkdirTemp("", "sqlstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// busy_timeout lets concurrent writers wait for each other instead of
	// failing with SQLITE_BUSY; WAL lets readers run during a write.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	store, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithTable("sessions"))
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	rec := session.Record{Data: []byte(`{"cart":[1,2]}`), Expires: time.Now().Add(time.Hour), UserID: "alice"}
	v, err := store.SaveIfVersion(ctx, "sess:abc", rec) // version 0: create
	if err != nil {
		log.Fatal(err)
	}
	loaded, err := store.Load(ctx, "sess:abc")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s for %s, same version: %t\n", loaded.Data, loaded.UserID, loaded.Version == v)

	// A second writer still holding the old version loses.
	loaded.Data = []byte(`{"cart":[1,2,3]}`)
	if _, err := store.SaveIfVersion(ctx, "sess:abc", loaded); err != nil {
		log.Fatal(err)
	}
	_, err = store.SaveIfVersion(ctx, "sess:abc", session.Record{Data: []byte("{}"), Expires: rec.Expires, Version: v})
	fmt.Println("stale write conflicts:", errors.Is(err, session.ErrConflict))

	// Log alice out everywhere else.
	n, err := store.DeleteUserSessions(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted sessions:", n)
	// Output:
	// {"cart":[1,2]} for alice, same version: true
	// stale write conflicts: true
	// deleted sessions: 1
}

// The sweeper removes rows whose expiry has passed; run it on a timer (or
// from cron) in one process or several.
func ExampleStore_DeleteExpired() {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(os.TempDir(), fmt.Sprintf("sqlstore-sweep-%d.db", os.Getpid())))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	defer os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("sqlstore-sweep-%d.db", os.Getpid())))
	store, err := sqlstore.New(db, sqlstore.SQLite)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	if err := store.Save(ctx, "old", session.Record{Data: []byte("x"), Expires: time.Now().Add(-time.Minute)}); err != nil {
		log.Fatal(err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(10 * time.Millisecond) // e.g. time.Minute in production
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				n, err := store.DeleteExpired(ctx)
				if err != nil && ctx.Err() == nil {
					log.Printf("session sweep: %v", err)
				}
				if n > 0 {
					fmt.Println("swept", n)
					stop()
				}
			}
		}
	}()
	<-done
	// Output: swept 1
}

// A Go service sharing the sessions of a Flask app that uses Flask-Session's
// SQLAlchemy backend (SESSION_TYPE = "sqlalchemy") on the same database.
func ExampleWithFlaskSessionLayout() {
	dir, err := os.MkdirTemp("", "sqlstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The file of the Flask app's SQLALCHEMY_DATABASE_URI = "sqlite:///.../app.db".
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	store, err := sqlstore.New(db, sqlstore.SQLite,
		sqlstore.WithFlaskSessionLayout(),
		sqlstore.WithTable("sessions")) // SESSION_SQLALCHEMY_TABLE
	if err != nil {
		log.Fatal(err)
	}
	// Only needed when the Go side starts first: Flask's create_all makes
	// the same table.
	if err := store.Migrate(context.Background()); err != nil {
		log.Fatal(err)
	}
	m, err := session.New(session.Config{
		SecretKey:      "the Flask app's SECRET_KEY (32+ random bytes)",
		Store:          store,
		KeyPrefix:      "session:", // SESSION_KEY_PREFIX
		PlainStoreKeys: true,       // store key = prefix + session id
		SignIDs:        true,       // SESSION_USE_SIGNER = True
		Serializer:     flasksession.Pickle{},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Mode())
	// Output: server-side
}
