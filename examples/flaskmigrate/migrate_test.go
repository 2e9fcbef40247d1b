package main

// The migration story end to end, in headless Chromium: a Flask app
// (Debian's python3-flask and python3-flask-session) behind this Go
// service, same origin, same cookie. Log in on a Flask route, add to the
// cart on a Go route, see the cart on a Flask page, log out on Go and be
// logged out on Flask — on Flask's signed cookie and on Flask-Session
// stores.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flaskgo/session/internal/browsertest"
	"github.com/flaskgo/session/internal/testenv"
)

// migrationMode is one way the Flask app keeps its sessions.
type migrationMode struct {
	name      string
	flaskArgs []string               // --store ... for flaskapp/app.py
	store     storeConfig            // the Go side's matching settings (secret filled in)
	records   func(t *testing.T) int // live records in the store, or -1 for the cookie
}

func TestMigrationInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	if out, err := exec.Command(testenv.SystemPython, "-c", "import flask, flask_session, redis, flask_sqlalchemy, psycopg2").CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot import flask, flask_session and redis (apt-get install python3-flask-session python3-redis python3-flask-sqlalchemy python3-psycopg2): %v %s",
			testenv.SystemPython, err, strings.TrimSpace(string(out)))
	}
	secret := randomHex(t, 32)
	var modes []migrationMode
	modes = append(modes, migrationMode{
		name: "Flask signed cookie", flaskArgs: []string{"--store", "cookie"},
		store: storeConfig{spec: "cookie"}, records: func(*testing.T) int { return -1 },
	})
	modes = append(modes, redisMode(t), sqliteMode(t), postgresMode(t))
	browser := browsertest.Start(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			flaskURL := testenv.StartPeer(t, testenv.SystemPython, append([]string{"flaskapp/app.py", "--secret", secret}, mode.flaskArgs...)...)
			upstream, _ := url.Parse(flaskURL)
			sc := mode.store
			sc.secret = secret
			m, closeStore, err := sc.manager()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = closeStore() })
			srv := httptest.NewServer(newService(upstream, m))
			t.Cleanup(srv.Close)
			walkThrough(t, browsertest.NewTab(t, browser, srv.URL, "flaskmigrate"), mode, strings.ReplaceAll(mode.name, " ", "-"))
		})
	}
}

// walkThrough is the user's visit.
func walkThrough(t *testing.T, b *browsertest.Tab, mode migrationMode, shot string) {
	servedBy := func(want string) {
		t.Helper()
		if got := b.Attr("body", "data-served-by"); got != want {
			t.Fatalf("page served by %q, want %q", got, want)
		}
	}
	qty := func(sku string) string {
		t.Helper()
		return b.Text(`#cart tr[data-sku="` + sku + `"] .qty`)
	}

	// Log in on a Flask route.
	b.Open("/login")
	servedBy("flask")
	b.Type(`input[name=username]`, "alice")
	b.Type(`input[name=password]`, "wonderland")
	b.Click("#login-submit")
	servedBy("flask")
	if user := b.Attr("body", "data-user"); user != "alice" {
		t.Fatalf("after the Flask login the page is for %q", user)
	}

	// Add to the cart on a Go route: Go reads Flask's login.
	b.Click(`button[data-add="tea"]`)
	servedBy("go")
	if user := b.Attr("body", "data-user"); user != "alice" {
		t.Fatalf("the Go page does not see the Flask login (user %q)", user)
	}
	b.Open("/")
	b.Click(`button[data-add="pen"]`)
	b.Open("/")
	b.Click(`button[data-add="tea"]`)
	if tea, pen := qty("tea"), qty("pen"); tea != "2" || pen != "1" {
		t.Fatalf("Go cart: tea %q, pen %q; want 2, 1", tea, pen)
	}
	b.Screenshot(shot + "-go-cart")

	// See it on a Flask page: Flask reads Go's writes.
	b.Open("/cart")
	servedBy("flask")
	if tea, pen := qty("tea"), qty("pen"); tea != "2" || pen != "1" {
		t.Fatalf("Flask cart: tea %q, pen %q; want 2, 1", tea, pen)
	}
	if user := b.Text("#who"); user != "alice" {
		t.Errorf("Flask page user = %q", user)
	}
	b.Screenshot(shot + "-flask-cart")
	if n := mode.records(t); n == 0 {
		t.Errorf("no session record in the store while logged in")
	}

	// Log out on Go, logged out on Flask.
	b.Click("#logout")
	servedBy("flask")
	if user := b.Attr("body", "data-user"); user != "" {
		t.Fatalf("after logging out on Go, Flask still sees %q", user)
	}
	b.Open("/cart")
	if b.Count("#cart-empty") != 1 {
		t.Errorf("the Flask cart is not empty after logout")
	}
	b.Screenshot(shot + "-logged-out")
	if n := mode.records(t); n > 1 {
		// Flask-Session may have stored the fresh anonymous session of the
		// last page (SESSION_PERMANENT stores even empty-ish ones), but the
		// logged-in record is gone.
		t.Errorf("%d records left after logout", n)
	}
}

// redisMode is Flask-Session on the shared Redis, under a key prefix of
// this test's own.
func redisMode(t *testing.T) migrationMode {
	addr := "127.0.0.1:6379"
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.Unavailable(t, "Redis at %s unreachable: %v", addr, err)
	}
	prefix := "flaskmigrate-" + randomHex(t, 4) + ":"
	keys := func(t *testing.T) []string {
		ks, err := rdb.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	t.Cleanup(func() {
		if ks := keys(t); len(ks) > 0 {
			rdb.Del(ctx, ks...)
		}
	})
	return migrationMode{
		name:      "Flask-Session on Redis",
		flaskArgs: []string{"--store", "redis", "--redis", "redis://" + addr + "/0", "--prefix", prefix},
		store:     storeConfig{spec: "redis://" + addr + "/0", prefix: prefix},
		records:   func(t *testing.T) int { return len(keys(t)) },
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// sqliteMode is Flask-Session's SQLAlchemy table in a SQLite file, created
// by Flask (db.create_all).
func sqliteMode(t *testing.T) migrationMode {
	file := filepath.Join(t.TempDir(), "sessions.db")
	return migrationMode{
		name:      "Flask-Session on SQLite",
		flaskArgs: []string{"--store", "sql", "--sql", "sqlite:///" + file, "--table", "sessions"},
		store:     storeConfig{spec: "sqlite:" + file, prefix: "session:", table: "sessions"},
		records:   func(t *testing.T) int { return countRows(t, "sqlite", "file:"+file, "sessions") },
	}
}

// postgresMode is the same table in the shared PostgreSQL, under a table
// name of this test's own.
func postgresMode(t *testing.T) migrationMode {
	dsn := "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		testenv.Unavailable(t, "PostgreSQL at 127.0.0.1:5432 unreachable: %v", err)
	}
	table := "flaskmigrate_" + randomHex(t, 4)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + table) })
	return migrationMode{
		name:      "Flask-Session on PostgreSQL",
		flaskArgs: []string{"--store", "sql", "--sql", "postgresql+psycopg2://postgres@127.0.0.1:5432/test", "--table", table},
		store:     storeConfig{spec: dsn, prefix: "session:", table: table},
		records:   func(t *testing.T) int { return countRows(t, "pgx", dsn, table) },
	}
}

// countRows counts the live rows of a Flask-Session table.
func countRows(t *testing.T, driver, dsn, table string) int {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}
