package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/flaskgo/session/sqlstore"
)

// backend is one database the tests run against.
type backend struct {
	name    string
	dialect sqlstore.Dialect
	driver  string
	dsns    func() []string // candidates, first reachable wins

	once   sync.Once
	dsn    string // the reachable one
	reason string // why none was

	adminOnce sync.Once
	adminDB   *sql.DB // shared by all tests for DROP TABLE; closed by TestMain
}

const sqliteDSNParams = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

var (
	pgBackend = &backend{name: "postgres", dialect: sqlstore.Postgres, driver: "pgx", dsns: func() []string {
		if dsn := os.Getenv("PG_DSN"); dsn != "" {
			return []string{dsn}
		}
		return []string{
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
			"postgres://root@127.0.0.1:5432/test?sslmode=disable",
		}
	}}
	mysqlBackend = &backend{name: "mysql", dialect: sqlstore.MySQL, driver: "mysql", dsns: func() []string {
		if dsn := os.Getenv("MYSQL_DSN"); dsn != "" {
			return []string{dsn}
		}
		return []string{"root@tcp(127.0.0.1:3306)/test"}
	}}
	// The SQLite file lives in a directory made once per test binary, so
	// every backend handle of one run sees the same database.
	sqliteBackend = &backend{name: "sqlite", dialect: sqlstore.SQLite, driver: "sqlite", dsns: func() []string {
		return []string{"file:" + filepath.Join(sqliteDir(), "sessions.db") + sqliteDSNParams}
	}}
	backends = []*backend{pgBackend, mysqlBackend, sqliteBackend}
)

var (
	sqliteDirOnce sync.Once
	sqliteDirPath string
)

func sqliteDir() string {
	sqliteDirOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sqlstore-test-")
		if err != nil {
			panic(err) // only in tests, with no way to report it otherwise
		}
		sqliteDirPath = dir
	})
	return sqliteDirPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range append(backends, mysqlInterpolated) {
		if b.adminDB != nil {
			b.adminDB.Close()
		}
	}
	if sqliteDirPath != "" {
		os.RemoveAll(sqliteDirPath)
	}
	os.Exit(code)
}

// reach finds a DSN that answers a ping, once per backend.
func (b *backend) reach() (string, string) {
	b.once.Do(func() {
		for _, dsn := range b.dsns() {
			db, err := sql.Open(b.driver, dsn)
			if err != nil {
				b.reason = err.Error()
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				b.dsn, b.reason = dsn, ""
				return
			}
			b.reason = err.Error()
		}
	})
	return b.dsn, b.reason
}

// open returns a new handle on the backend, closed when t ends. It skips t
// (fails it under CI=true) when the server is unreachable.
func (b *backend) open(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn, reason := b.reach()
	if dsn == "" {
		msg := "!!! " + b.name + " is unreachable, its tests DID NOT RUN: " + reason
		testenv.Unavailable(tb, "%s", msg)
	}
	db, err := sql.Open(b.driver, dsn)
	if err != nil {
		tb.Fatalf("sql.Open(%s): %v", b.name, err)
	}
	// PostgreSQL allows 100 connections by default; the suite runs 100
	// goroutines against one store.
	db.SetMaxOpenConns(8)
	tb.Cleanup(func() { db.Close() })
	return db
}

// admin returns a handle shared by the whole run, for housekeeping that
// must work even after a test closed its own handle.
func (b *backend) admin(tb testing.TB) *sql.DB {
	tb.Helper()
	b.open(tb) // skips or fails when unreachable
	b.adminOnce.Do(func() {
		db, err := sql.Open(b.driver, b.dsn)
		if err != nil {
			tb.Fatalf("sql.Open(%s): %v", b.name, err)
		}
		db.SetMaxOpenConns(2)
		b.adminDB = db
	})
	return b.adminDB
}

// randomTable returns a table name no other test run uses.
func randomTable(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "sqlstore_test_" + hex.EncodeToString(b[:])
}

// newStore opens a handle, builds a store on a fresh random table, migrates
// it, and drops the table when tb ends (through a separate handle, so that
// closing db does not prevent the cleanup).
func (b *backend) newStore(tb testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, *sql.DB) {
	tb.Helper()
	admin := b.admin(tb)
	db := b.open(tb)
	table := randomTable(tb)
	st, err := sqlstore.New(db, b.dialect, append([]sqlstore.Option{sqlstore.WithTable(table)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { dropTable(tb, admin, b.dialect, table) })
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return st, db
}

func dropTable(tb testing.TB, db *sql.DB, d sqlstore.Dialect, table string) {
	q := `DROP TABLE IF EXISTS "` + table + `"`
	if d == sqlstore.MySQL {
		q = "DROP TABLE IF EXISTS `" + table + "`"
	}
	if _, err := db.Exec(q); err != nil {
		tb.Errorf("drop table %s: %v", table, err)
	}
}

// forEach runs f as a subtest per backend.
func forEach(t *testing.T, f func(t *testing.T, b *backend)) {
	for _, b := range backends {
		b := b
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}
