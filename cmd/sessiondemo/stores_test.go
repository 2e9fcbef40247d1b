package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

func TestParseStoreSpec(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		kind   storeKind
		arg    string
		server bool
		str    string
	}{
		{"", kindCookie, "", false, "signed cookie"},
		{"cookie", kindCookie, "", false, "signed cookie"},
		{" Cookie ", kindCookie, "", false, "signed cookie"},
		{"encrypted", kindEncrypted, "", false, "encrypted cookie"},
		{"memory", kindMemory, "", true, "memory"},
		{"file:/tmp/s", kindFile, "/tmp/s", true, "files in /tmp/s"},
		{"file:relative/dir", kindFile, "relative/dir", true, "files in relative/dir"},
		{"sqlite:/tmp/s.db", kindSQLite, "/tmp/s.db", true, "SQLite /tmp/s.db"},
		{"redis://127.0.0.1:6379", kindRedis, "redis://127.0.0.1:6379", true, "redis://127.0.0.1:6379"},
		{"redis://:hunter2@127.0.0.1:6379/2", kindRedis, "redis://:hunter2@127.0.0.1:6379/2", true, "redis://127.0.0.1:6379/2"},
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", kindPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", true, "postgres://127.0.0.1:5432/test"},
		{"postgresql://u:pw@db/x", kindPostgres, "postgresql://u:pw@db/x", true, "postgresql://db/x"},
		{"mysql://root@127.0.0.1:3306/test", kindMySQL, "mysql://root@127.0.0.1:3306/test", true, "mysql://127.0.0.1:3306/test"},
	} {
		got, err := parseStoreSpec(tc.spec)
		if err != nil {
			t.Errorf("parseStoreSpec(%q): %v", tc.spec, err)
			continue
		}
		if got.kind != tc.kind || got.arg != tc.arg || got.serverSide() != tc.server || got.String() != tc.str {
			t.Errorf("parseStoreSpec(%q) = %+v (%q, server %v); want kind %v arg %q (%q, server %v)",
				tc.spec, got, got.String(), got.serverSide(), tc.kind, tc.arg, tc.str, tc.server)
		}
	}
	for _, bad := range []string{
		"cookies", "memory:", "file:", "sqlite:", "redis://host:notaport",
		"postgres:///nohost", "mysql://root@127.0.0.1", "mysql://u:pw@h:1/", "mongodb://x", "file:a\x00b",
	} {
		_, err := parseStoreSpec(bad)
		if !errors.Is(err, errStoreSpec) {
			t.Errorf("parseStoreSpec(%q) error = %v, want errStoreSpec", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") && strings.Contains(bad, "pw") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
}

func TestMySQLDSN(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"mysql://root@127.0.0.1:3306/test", "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
		{"mysql://u:p%40ss@db.example/shop", "u:p@ss@tcp(db.example:3306)/shop?parseTime=true"},
		{"mariadb://u@h:3307/d?tls=skip-verify", "u@tcp(h:3307)/d?parseTime=true&tls=skip-verify"},
	} {
		got, err := mysqlDSN(tc.spec)
		if err != nil {
			t.Errorf("mysqlDSN(%q): %v", tc.spec, err)
			continue
		}
		if got != tc.want {
			t.Errorf("mysqlDSN(%q) = %q, want %q", tc.spec, got, tc.want)
		}
		if _, err := mysql.ParseDSN(got); err != nil {
			t.Errorf("the driver rejects %q: %v", got, err)
		}
	}
}

// FuzzParseStoreSpec: any flag value either parses into a spec whose
// String does not leak a URL password, or fails with errStoreSpec; never a
// panic.
func FuzzParseStoreSpec(f *testing.F) {
	for _, s := range []string{"cookie", "memory", "file:/x", "sqlite:a.db", "redis://:pw@h:1/0",
		"postgres://u:pw@h/d", "mysql://u:pw@h:3306/d?x=y", "mysql://%zz", "redis://[::1]:6379", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseStoreSpec(s)
		if err != nil {
			if !errors.Is(err, errStoreSpec) {
				t.Fatalf("error %v does not wrap errStoreSpec", err)
			}
			return
		}
		str := spec.String()
		if spec.kind == kindRedis || spec.kind == kindPostgres || spec.kind == kindMySQL {
			// Only scheme, host and database: no user info, no query.
			u, err := url.Parse(str)
			if err == nil && (u.User != nil || u.RawQuery != "") {
				t.Fatalf("String() = %q shows user info or query parameters of %q", str, s)
			}
		}
		if spec.kind == kindMySQL {
			if _, err := mysqlDSN(spec.arg); err != nil {
				t.Fatalf("parsed %q but mysqlDSN fails: %v", s, err)
			}
		}
	})
}

// reachable reports whether a TCP service answers at addr.
func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TestStoreBackends runs one visit through every store the -store flag
// offers, on the real backends: log in, fill the cart, read it back from a
// second client holding a copy of the cookie, log out, and replay the copy.
func TestStoreBackends(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, spec, service string
	}{
		{"cookie", "cookie", ""},
		{"encrypted", "encrypted", ""},
		{"memory", "memory", ""},
		{"file", "file:" + filepath.Join(dir, "files"), ""},
		{"sqlite", "sqlite:" + filepath.Join(dir, "sessions.db"), ""},
		{"redis", envOr(os.Getenv, "SESSIONDEMO_TEST_REDIS", "redis://127.0.0.1:6379/0"), "127.0.0.1:6379"},
		{"postgres", envOr(os.Getenv, "SESSIONDEMO_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "127.0.0.1:5432"},
		{"mysql", envOr(os.Getenv, "SESSIONDEMO_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test"), "127.0.0.1:3306"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.service != "" && !reachable(tc.service) {
				testenv.Unavailable(t, "%s is not reachable at %s", tc.name, tc.service)
			}
			srv := newTestServer(t, tc.spec)
			c := newClient(t, srv.URL)
			c.login("alice", "wonderland", false)
			c.submit("/cart/add", url.Values{"sku": {"notebook-a5"}, "qty": {"3"}})

			copycat := newClient(t, srv.URL)
			copycat.setCookie(c.cookie())
			page := copycat.get("/cart")
			if page.StatusCode != http.StatusOK || loggedInAs(page.body) != "alice" || cartQty(t, page.body, "notebook-a5") != 3 {
				t.Fatalf("a second client with the same cookie sees status %d, user %q, %d notebooks",
					page.StatusCode, loggedInAs(page.body), cartQty(t, page.body, "notebook-a5"))
			}

			if srv.app.spec.serverSide() {
				infos, err := srv.app.mgr.UserSessions(context.Background(), "alice")
				if err != nil {
					t.Fatalf("UserSessions: %v", err)
				}
				found := false
				for _, in := range infos {
					found = found || strings.HasPrefix(in.Key, "session:")
				}
				if !found {
					t.Errorf("UserSessions(alice) = %v: the session is not indexed", infos)
				}
			}

			c.submit("/logout", nil)
			replay := copycat.get("/")
			if replay.StatusCode != http.StatusOK {
				t.Fatalf("replayed cookie: status %d", replay.StatusCode)
			}
			// Server-side, logout deletes the record; in the cookie modes
			// the demo's revocation list (Config.Revocations) refuses the copy.
			if got := loggedInAs(replay.body); got != "" {
				t.Errorf("a copy of the cookie is still logged in as %q after logout", got)
			}
		})
	}
}

// TestSQLiteBadPath: a database path in a missing directory (or a
// directory given as the file) gives an error that says so, not the
// driver's "out of memory (14)".
func TestSQLiteBadPath(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{"/nonexistent/x.db", "directory /nonexistent does not exist"},
		{filepath.Join(dir, "missing", "x.db"), "does not exist"},
		{dir, "is a directory, not a database file"},
	} {
		spec, err := parseStoreSpec("sqlite:" + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = openStore(context.Background(), spec, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "out of memory") {
			t.Errorf("sqlite:%s: error %v, want one containing %q", tc.path, err, tc.want)
		}
	}
}

func TestBoundRedisKeepsWhatTheURLSets(t *testing.T) {
	for _, tc := range []struct {
		url              string
		dial, read       time.Duration
		retries, dialers int
	}{
		{"redis://127.0.0.1:6379/0", 250 * time.Millisecond, 500 * time.Millisecond, 1, 1},
		{"redis://127.0.0.1:6379/0?dial_timeout=2s&read_timeout=1s&max_retries=3", 2 * time.Second, time.Second, 3, 1},
	} {
		opt, err := redis.ParseURL(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		boundRedis(opt)
		if !opt.ContextTimeoutEnabled || opt.DialTimeout != tc.dial || opt.ReadTimeout != tc.read ||
			opt.MaxRetries != tc.retries || opt.DialerRetries != tc.dialers || opt.PoolTimeout != 500*time.Millisecond {
			t.Errorf("%s: %+v", tc.url, opt)
		}
	}
}
