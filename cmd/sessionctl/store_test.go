package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/redis/go-redis/v9"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
)

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// fixture is one store backend the store commands are tested against.
type fixture struct {
	name string
	// setup prepares the backend and returns the store URL, extra flags for
	// every store command, and a function opening a store on the same data
	// whose clock is now (to write records that are already expired).
	setup func(t *testing.T) (url string, flags []string, open func(now func() time.Time) session.Store)
	// nativeTTL: the backend drops expired records itself, so none can be
	// planted.
	nativeTTL bool
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func sqlFixture(name, driver, dsn, url string, d sqlstore.Dialect) fixture {
	return fixture{name: name, setup: func(t *testing.T) (string, []string, func(func() time.Time) session.Store) {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			testenv.Unavailable(t, "%s at %s unreachable: %v", name, redact(url), err)
		}
		table := "sessionctl_test_" + randHex(t, 6)
		open := func(now func() time.Time) session.Store {
			st, err := sqlstore.New(db, d, sqlstore.WithTable(table), sqlstore.WithClock(now))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if err := open(time.Now).(*sqlstore.Store).Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			q := `DROP TABLE "` + table + `"`
			if d == sqlstore.MySQL {
				q = "DROP TABLE `" + table + "`"
			}
			if _, err := db.Exec(q); err != nil {
				t.Errorf("dropping %s: %v", table, err)
			}
		})
		return url, []string{"--table", table}, open
	}}
}

func redisFixture(name, url string, client func() redis.UniversalClient) fixture {
	return fixture{name: name, nativeTTL: true, setup: func(t *testing.T) (string, []string, func(func() time.Time) session.Store) {
		c := client()
		t.Cleanup(func() { c.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			testenv.Unavailable(t, "%s at %s unreachable: %v", name, url, err)
		}
		if cc, ok := c.(*redis.ClusterClient); ok {
			if info, err := cc.ClusterInfo(ctx).Result(); err != nil || !strings.Contains(info, "cluster_state:ok") {
				testenv.Unavailable(t, "%s at %s not ready: %v", name, url, err)
			}
		}
		return url, nil, func(func() time.Time) session.Store { return redisstore.New(c) }
	}}
}

func fixtures() []fixture {
	pg := env("SESSIONCTL_TEST_PG", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	my := env("SESSIONCTL_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
	myDSN, _ := mysqlDSN(my)
	rd := env("SESSIONCTL_TEST_REDIS", "redis://127.0.0.1:6379/0")
	cl := env("SESSIONCTL_TEST_REDIS_CLUSTER", "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003")
	return []fixture{
		{name: "sqlite", setup: func(t *testing.T) (string, []string, func(func() time.Time) session.Store) {
			path := filepath.Join(t.TempDir(), "sessions.db")
			f := sqlFixture("sqlite", "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)", "sqlite:"+path, sqlstore.SQLite)
			return f.setup(t)
		}},
		{name: "file", setup: func(t *testing.T) (string, []string, func(func() time.Time) session.Store) {
			dir := t.TempDir()
			return "file:" + dir, nil, func(now func() time.Time) session.Store {
				st, err := filestore.New(dir, filestore.WithClock(now))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
		}},
		sqlFixture("postgres", "pgx", pg, pg, sqlstore.Postgres),
		sqlFixture("mysql", "mysql", myDSN, my, sqlstore.MySQL),
		redisFixture("redis", rd, func() redis.UniversalClient {
			o, err := redis.ParseURL(rd)
			if err != nil {
				panic(err)
			}
			return redis.NewClient(o)
		}),
		redisFixture("redis-cluster", cl, func() redis.UniversalClient {
			o, err := clusterOptions(cl)
			if err != nil {
				panic(err)
			}
			return redis.NewClusterClient(o)
		}),
	}
}

// login runs one request through the Manager's middleware that stores
// values in a new session, and returns the session id (the cookie value).
func login(t *testing.T, m *session.Manager, values map[string]any) string {
	t.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		for k, v := range values {
			s.Set(k, v)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("login: status %d: %s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.DefaultCookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login set no session cookie: %v", rec.Header())
	return ""
}

type lsRecord struct {
	Key     string  `json:"key"`
	Expires *string `json:"expires"`
	UserID  string  `json:"user_id"`
	Expired bool    `json:"expired"`
}

func lsJSON(t *testing.T, base []string, extra ...string) []lsRecord {
	t.Helper()
	out, _ := mustRun(t, exitOK, "", append(append([]string{"store", "ls", "--json"}, base...), extra...)...)
	var v struct {
		Count   int        `json:"count"`
		Records []lsRecord `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if v.Count != len(v.Records) {
		t.Errorf("count %d, %d records", v.Count, len(v.Records))
	}
	return v.Records
}

func keysOf(rs []lsRecord) []string {
	var ks []string
	for _, r := range rs {
		ks = append(ks, r.Key)
	}
	return ks
}

func sorted(ss ...string) []string {
	out := append([]string{}, ss...)
	sort.Strings(out)
	return out
}

// TestStoreCommands creates sessions through a session.Manager on each
// backend, then lists, shows, removes, revokes and purges them with the
// CLI and checks both the output and the store.
func TestStoreCommands(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			url, flags, open := fx.setup(t)
			ctx := context.Background()
			st := open(time.Now)
			prefix := "sctl-" + randHex(t, 4) + ":"
			base := append([]string{"--store", url}, flags...)
			// ls and stats see only this test's keys.
			only := append([]string{"--prefix", prefix}, base...)
			m, err := session.New(session.Config{SecretKey: "test", Store: st, KeyPrefix: prefix, Lifetime: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			alice, bob := "alice-"+randHex(t, 4), "bob-"+randHex(t, 4)
			a1 := login(t, m, map[string]any{"_user_id": alice, "cart": []any{int64(1), int64(2)}, "flash": session.Tuple{"message", "hi"}})
			a2 := login(t, m, map[string]any{"_user_id": alice, "device": "phone"})
			b1 := login(t, m, map[string]any{"_user_id": bob})
			anon := login(t, m, map[string]any{"theme": "dark"})
			k := func(id string) string { return session.StoreKey(prefix, id, false) }
			live := sorted(k(a1), k(a2), k(b1), k(anon))
			t.Cleanup(func() {
				// Shared servers (Redis) keep what a test leaves behind.
				for _, key := range live {
					if err := st.Delete(ctx, key); err != nil {
						t.Errorf("cleanup: %v", err)
					}
				}
			})

			var expiredKey string
			// SQL counts and lists (--all) the expired rows it holds; the
			// other stores go through session.Lister, which sees live ones.
			seesExpired := !fx.nativeTTL && fx.name != "file"
			if !fx.nativeTTL {
				past := func() time.Time { return time.Now().Add(-2 * time.Hour) }
				old, err := session.New(session.Config{SecretKey: "test", Store: open(past), KeyPrefix: prefix, Lifetime: time.Hour, Now: past})
				if err != nil {
					t.Fatal(err)
				}
				// Another user: revoking alice below must not touch it.
				expiredKey = k(login(t, old, map[string]any{"_user_id": "carol-" + randHex(t, 4), "old": true}))
			}

			t.Run("stats", func(t *testing.T) {
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "stats", "--json"}, only...)...)
				var v struct {
					Records *int64 `json:"records"`
					Expired *int64 `json:"expired"`
				}
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatal(err)
				}
				want := int64(4)
				if seesExpired {
					want = 5
				}
				if v.Records == nil || *v.Records != want {
					t.Errorf("stats: %s, want %d records", out, want)
				}
				if fx.name != "file" && (v.Expired == nil || *v.Expired != want-4) {
					t.Errorf("stats: %s, want %d expired", out, want-4)
				}
				if fx.name == "file" && v.Expired != nil {
					t.Errorf("stats: %s, want expired null (the file store counts live records only)", out)
				}
				text, _ := mustRun(t, exitOK, "", append([]string{"store", "stats"}, only...)...)
				if !strings.Contains(text, fmt.Sprintf("records:  %d ", want)) {
					t.Errorf("stats text:\n%s", text)
				}
			})

			t.Run("ls", func(t *testing.T) {
				rs := lsJSON(t, only)
				if got := keysOf(rs); !reflect.DeepEqual(got, live) {
					t.Fatalf("ls keys\n got %v\nwant %v", got, live)
				}
				users := map[string]string{k(a1): alice, k(a2): alice, k(b1): bob, k(anon): ""}
				for _, r := range rs {
					if r.UserID != users[r.Key] || r.Expired || r.Expires == nil {
						t.Errorf("record %+v, want user %q", r, users[r.Key])
						continue
					}
					exp, err := time.Parse(time.RFC3339, *r.Expires)
					if err != nil || exp.Before(time.Now().Add(59*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) {
						t.Errorf("expiry %s is not an hour from now (%v)", *r.Expires, err)
					}
				}
				if got := keysOf(lsJSON(t, only, "--user", alice)); !reflect.DeepEqual(got, sorted(k(a1), k(a2))) {
					t.Errorf("ls --user: %v", got)
				}
				if got := keysOf(lsJSON(t, only, "--user", "nobody-"+randHex(t, 4))); len(got) != 0 {
					t.Errorf("ls --user nobody: %v", got)
				}
				if got := keysOf(lsJSON(t, append([]string{"--store", url, "--prefix", k(b1)[:len(prefix)+20]}, flags...))); !reflect.DeepEqual(got, []string{k(b1)}) {
					t.Errorf("ls --prefix: %v", got)
				}
				if expiredKey != "" && !seesExpired {
					_, errs := mustRun(t, exitStore, "", append([]string{"store", "ls", "--all"}, only...)...)
					if !strings.Contains(errs, "lists only live records") {
						t.Errorf("ls --all on %s: %q", fx.name, errs)
					}
				}
				if seesExpired {
					all := lsJSON(t, only, "--all")
					if len(all) != 5 {
						t.Errorf("ls --all: %d records", len(all))
					}
					for _, r := range all {
						if (r.Key == expiredKey) != r.Expired {
							t.Errorf("ls --all: %+v", r)
						}
					}
				}
				q, _ := mustRun(t, exitOK, "", append([]string{"store", "ls", "-q"}, only...)...)
				if q != strings.Join(live, "\n")+"\n" {
					t.Errorf("ls -q:\n%s", q)
				}
				text, _ := mustRun(t, exitOK, "", append([]string{"store", "ls", "--user", bob}, only...)...)
				lines := strings.Split(strings.TrimSpace(text), "\n")
				if len(lines) != 2 || !strings.HasPrefix(lines[0], "KEY") || !strings.HasPrefix(lines[1], k(b1)+"  ") ||
					!strings.HasSuffix(lines[1], "  "+bob) || !strings.Contains(lines[1], "Z (in ") {
					t.Errorf("ls text:\n%s", text)
				}
			})

			t.Run("show", func(t *testing.T) {
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "show", "--json", k(a1)}, base...)...)
				v := jsonValue(t, out).(map[string]any)
				wantSession := map[string]any{"_user_id": alice, "cart": []any{json.Number("1"), json.Number("2")}, "flash": []any{"message", "hi"}}
				if !reflect.DeepEqual(v["session"], wantSession) || v["key"] != k(a1) || v["user_id"] != alice || v["version"] == json.Number("0") && fx.name != "memory" {
					t.Errorf("show --json: %s", out)
				}
				out, _ = mustRun(t, exitOK, "", append([]string{"store", "show", "--typed", "--json", k(a1)}, base...)...)
				if got := jsonValue(t, out).(map[string]any)["session"].(map[string]any)["flash"]; !reflect.DeepEqual(got, map[string]any{"$tuple": []any{"message", "hi"}}) {
					t.Errorf("show --typed: %s", out)
				}
				text, _ := mustRun(t, exitOK, "", append([]string{"store", "show", k(a1)}, base...)...)
				for _, w := range []string{"key:      " + k(a1), "user:     " + alice, "expires:  ", "Z (in ", "version:  ", "session:\n{\n  \"_user_id\": \"" + alice + "\","} {
					if !strings.Contains(text, w) {
						t.Errorf("show lacks %q:\n%s", w, text)
					}
				}
				// --id derives the key from the session id as the Manager does.
				// Ids are base64url and may start with "-": they go after "--".
				byID, _ := mustRun(t, exitOK, "", append(append([]string{"store", "show", "--id", "--key-prefix", prefix}, base...), "--", a1)...)
				if byID != text {
					t.Errorf("show --id differs:\n%s\n%s", byID, text)
				}
				_, errs := mustRun(t, exitInvalid, "", append([]string{"store", "show", prefix + "missing"}, base...)...)
				if !strings.Contains(errs, "not found: "+prefix+"missing") {
					t.Errorf("show missing: %q", errs)
				}
				if expiredKey != "" {
					mustRun(t, exitInvalid, "", append([]string{"store", "show", expiredKey}, base...)...)
				}
			})

			t.Run("rm", func(t *testing.T) {
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "rm", k(anon)}, base...)...)
				if out != "deleted "+k(anon)+"\n" {
					t.Errorf("rm: %q", out)
				}
				if _, err := st.Load(ctx, k(anon)); !errors.Is(err, session.ErrNotFound) {
					t.Errorf("record still there after rm: %v", err)
				}
				out, errs := mustRun(t, exitInvalid, "", append([]string{"store", "rm", "--json", k(anon)}, base...)...)
				if got := jsonValue(t, out); !reflect.DeepEqual(got, map[string]any{"deleted": []any{}, "not_found": []any{k(anon)}}) || !strings.Contains(errs, "not found: "+k(anon)) {
					t.Errorf("rm again: %s %s", out, errs)
				}
			})

			t.Run("revoke", func(t *testing.T) {
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "revoke", "--user", alice, "--except", k(a2)}, base...)...)
				if out != "revoked 1 session of user "+alice+"\n" {
					t.Errorf("revoke: %q", out)
				}
				if _, err := st.Load(ctx, k(a1)); !errors.Is(err, session.ErrNotFound) {
					t.Errorf("revoked session still there: %v", err)
				}
				for _, key := range []string{k(a2), k(b1)} {
					if _, err := st.Load(ctx, key); err != nil {
						t.Errorf("%s: %v", key, err)
					}
				}
				out, _ = mustRun(t, exitOK, "", append([]string{"store", "revoke", "--json", "--user", bob}, base...)...)
				if got := jsonValue(t, out); !reflect.DeepEqual(got, map[string]any{"user_id": bob, "revoked": json.Number("1")}) {
					t.Errorf("revoke --json: %s", out)
				}
				if got := keysOf(lsJSON(t, only)); !reflect.DeepEqual(got, []string{k(a2)}) {
					t.Errorf("after revoke: %v", got)
				}
			})

			t.Run("purge-expired", func(t *testing.T) {
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "purge-expired"}, base...)...)
				if fx.nativeTTL {
					if out != "nothing to do: the backend expires records itself\n" {
						t.Errorf("purge-expired: %q", out)
					}
					return
				}
				if out != "deleted 1 expired record\n" {
					t.Errorf("purge-expired: %q", out)
				}
				if seesExpired {
					if all := lsJSON(t, only, "--all"); len(all) != 1 {
						t.Errorf("after purge: %+v", all)
					}
				}
				out, _ = mustRun(t, exitOK, "", append([]string{"store", "purge-expired", "--json"}, base...)...)
				if got := jsonValue(t, out); !reflect.DeepEqual(got, map[string]any{"deleted": json.Number("0"), "native_ttl": false}) {
					t.Errorf("purge-expired --json: %s", out)
				}
			})

			t.Run("environment", func(t *testing.T) {
				t.Setenv(envStore, url)
				out, _ := mustRun(t, exitOK, "", append([]string{"store", "ls", "-q", "--prefix", prefix}, flags...)...)
				if out != k(a2)+"\n" {
					t.Errorf("ls with %s: %q", envStore, out)
				}
			})
		})
	}
}

// TestPurgeProgress: on a terminal purge-expired redraws a progress line on
// stderr and still prints the count on stdout.
func TestPurgeProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	_, flags, open := sqlFixture("sqlite", "sqlite", "file:"+path, "sqlite:"+path, sqlstore.SQLite).setup(t)
	st := open(func() time.Time { return time.Now().Add(-time.Hour) })
	for i := 0; i < 25; i++ {
		if err := st.Save(context.Background(), fmt.Sprintf("k%02d", i), session.Record{Data: []byte("{}"), Expires: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	old := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	defer func() { isTerminal = old }()
	out, errs := mustRun(t, exitOK, "", append([]string{"store", "purge-expired", "--store", "sqlite:" + path, "--batch", "10"}, flags...)...)
	if out != "deleted 25 expired records\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.HasPrefix(errs, "\rdeleting expired records: 0 of 25") || !strings.HasSuffix(errs, "\rdeleting expired records: 25 of 25\n") {
		t.Errorf("progress %q", errs)
	}
}

func TestStoreErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"sqlite file missing", []string{"stats", "--store", "sqlite:" + filepath.Join(dir, "nope.db")}, exitStore, "no such file"},
		{"sqlite table missing", []string{"ls", "--store", "sqlite:" + emptyFile(t, dir)}, exitStore, "no such table"},
		{"file dir missing", []string{"ls", "--store", "file:" + filepath.Join(dir, "nope")}, exitStore, "no such file"},
		{"redis unreachable", []string{"stats", "--store", "redis://127.0.0.1:1"}, exitStore, "connection refused"},
		{"postgres unreachable", []string{"stats", "--store", "postgres://u:hunter2@127.0.0.1:1/db"}, exitStore, "postgres://u:xxxxx@127.0.0.1:1/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, "", append([]string{"store"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errs, tt.want) || out != "" {
				t.Errorf("exit %d (want %d)\nstdout %q\nstderr %q (want %q)", code, tt.code, out, errs, tt.want)
			}
			if strings.Contains(errs, "hunter2") {
				t.Errorf("password printed: %s", errs)
			}
		})
	}
}

func emptyFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMemoryStore: memory: is an empty store of this process; the commands
// work on it (it lists through session.Lister) and find nothing.
func TestMemoryStore(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"stats"}, exitOK, "records:  0 live records\n"},
		{[]string{"ls"}, exitOK, "no records\n"},
		{[]string{"ls", "-q", "--user", "42"}, exitOK, ""},
		{[]string{"show", "session:x"}, exitInvalid, ""},
		{[]string{"rm", "session:x"}, exitInvalid, ""},
		{[]string{"revoke", "--user", "42"}, exitOK, "revoked 0 sessions of user 42\n"},
		{[]string{"purge-expired"}, exitOK, "deleted 0 expired records\n"},
	}
	for _, tt := range tests {
		out, _ := mustRun(t, tt.code, "", append(append([]string{"store"}, tt.args...), "--store", "memory:")...)
		if !strings.Contains(out, tt.out) {
			t.Errorf("%v: %q lacks %q", tt.args, out, tt.out)
		}
	}
}

func TestMySQLDSN(t *testing.T) {
	tests := []struct{ url, dsn string }{
		{"mysql://user:pass@db.example:3307/app", "user:pass@tcp(db.example:3307)/app?parseTime=false"},
		{"mysql://root@127.0.0.1/test", "root@tcp(127.0.0.1:3306)/test?parseTime=false"},
		{"mysql://u:p%40ss@[::1]:3306/x?tls=true", "u:p@ss@tcp([::1]:3306)/x?parseTime=false&tls=true"},
		{"mariadb://u:p@h:1/", "u:p@tcp(h:1)/?parseTime=false"},
	}
	for _, tt := range tests {
		got, err := mysqlDSN(tt.url)
		if err != nil || got != tt.dsn {
			t.Errorf("mysqlDSN(%q) = %q, %v; want %q", tt.url, got, err, tt.dsn)
		}
	}
	if _, err := mysqlDSN("mysql:///db"); err == nil {
		t.Error("no host: no error")
	}
}

func TestClusterOptions(t *testing.T) {
	o, err := clusterOptions("rediss+cluster://u:p%3Aw@h1:1,h2:2/0")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Addrs, []string{"h1:1", "h2:2"}) || o.Username != "u" || o.Password != "p:w" || o.TLSConfig == nil || o.TLSConfig.ServerName != "h1" {
		t.Errorf("%+v", o)
	}
}
