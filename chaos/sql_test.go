package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/sqlstore"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// quietMySQL drops the driver's log lines (broken connections while the
// server is down, by design here).
type quietMySQL struct{}

func (quietMySQL) Print(...any) {}

func init() { _ = mysql.SetLogger(quietMySQL{}) }

const pgBin = "/usr/lib/postgresql/15/bin"

// Recommended database/sql settings for sessions: a pool as large as the
// concurrency the store must carry, idle connections closed after a while
// (after a server restart every pooled connection is dead, and each one
// costs a failed request until it is dropped), a bounded lifetime.
const (
	sqlMaxOpen     = 16
	sqlMaxIdle     = 16
	sqlMaxIdleTime = 30 * time.Second
	sqlMaxLifetime = 5 * time.Minute
)

func tunePool(db *sql.DB) {
	db.SetMaxOpenConns(sqlMaxOpen)
	db.SetMaxIdleConns(sqlMaxIdle)
	db.SetConnMaxIdleTime(sqlMaxIdleTime)
	db.SetConnMaxLifetime(sqlMaxLifetime)
}

// startPostgres initdbs a cluster in a fresh directory and runs it as the
// postgres user on a private port, fsync on.
func startPostgres(t testing.TB) *proc {
	t.Helper()
	initdb := lookPath(t, filepath.Join(pgBin, "initdb"))
	postgres := lookPath(t, filepath.Join(pgBin, "postgres"))
	u, err := user.Lookup("postgres")
	if err != nil {
		testenv.Unavailable(t, "no postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run(t, uid, gid, initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	port := freePort(t)
	p := &proc{name: "postgres:" + strconv.Itoa(port), uid: uid, gid: gid, port: port, argv: []string{postgres,
		"-D", data, "-p", strconv.Itoa(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
		"-c", "shared_buffers=16MB", "-c", "max_connections=60", "-c", "logging_collector=off"}}
	p.ready = func() error { return pingSQL("pgx", pgDSN(p)) }
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// startMariaDB installs a data directory and runs mariadbd on a private
// port without grant tables (root, no password), InnoDB flushing its log
// at every commit.
func startMariaDB(t testing.TB) *proc {
	t.Helper()
	install := lookPath(t, "mariadb-install-db")
	mariadbd := lookPath(t, "mariadbd")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	run(t, 0, 0, install, "--no-defaults", "--datadir="+data, "--user=root", "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve")
	port := freePort(t)
	p := &proc{name: "mariadbd:" + strconv.Itoa(port), port: port, argv: []string{mariadbd, "--no-defaults",
		"--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--user=root", "--skip-grant-tables",
		"--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=1", "--innodb-buffer-pool-size=32M",
		"--max-connections=60"}}
	p.ready = func() error { return pingSQL("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?timeout=1s", port)) }
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// pingSQL runs one query on a fresh connection.
func pingSQL(driver, dsn string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return db.QueryRowContext(ctx, "SELECT 1").Scan(new(int))
}

// sqlTarget is a Store on db, opened by dsn with driver.
func sqlTarget(name, driver, dsn string, dialect sqlstore.Dialect) target {
	return target{store: name, durable: true, open: func(t testing.TB) (session.Store, func()) {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		tunePool(db)
		st, err := sqlstore.New(db, dialect, sqlstore.WithTable("chaos_sessions"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st, func() { db.Close() }
	}}
}

// pgDSN: a dial is bounded by connect_timeout (whole seconds); pgx
// honours the context of every query, so Config.StoreTimeout bounds the
// rest.
func pgDSN(p *proc) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=1", p.port)
}

// mysqlDSN: timeout bounds the dial; readTimeout and writeTimeout bound
// one packet, a second line of defence behind the context.
func mysqlDSN(t testing.TB, p *proc) string {
	t.Helper()
	root := fmt.Sprintf("root@tcp(127.0.0.1:%d)/", p.port)
	db, err := sql.Open("mysql", root)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE IF NOT EXISTS chaos"); err != nil {
		t.Fatal(err)
	}
	return root + "chaos?timeout=1s&readTimeout=2s&writeTimeout=2s"
}

// One server per test: the kill and the pause run on the same cluster,
// one after the other (initdb and mariadb-install-db take seconds).

func TestPostgres(t *testing.T) {
	p := startPostgres(t)
	tg := sqlTarget("postgres (fsync on)", "pgx", pgDSN(p), sqlstore.Postgres)
	t.Run("kill", func(t *testing.T) { runFault(t, tg, "SIGKILL + restart", killRestart(p)) })
	t.Run("pause", func(t *testing.T) { runFault(t, tg, pauseName(), pauseResume(p)) })
}

func TestMariaDB(t *testing.T) {
	p := startMariaDB(t)
	tg := sqlTarget("mariadb (InnoDB, flush at commit)", "mysql", mysqlDSN(t, p), sqlstore.MySQL)
	t.Run("kill", func(t *testing.T) { runFault(t, tg, "SIGKILL + restart", killRestart(p)) })
	t.Run("pause", func(t *testing.T) { runFault(t, tg, pauseName(), pauseResume(p)) })
}
