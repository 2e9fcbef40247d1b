package sqlstore_test

// Live interop with Debian's Flask-Session 0.3.2 (SESSION_TYPE="sqlalchemy"
// with Flask-SQLAlchemy 3.0, pickled values) on SQLite, PostgreSQL and
// MariaDB: internal/fsinterop's peer runs the Flask side, a
// session.Manager on sqlstore's Flask-Session layout with
// flasksession.Pickle the Go side, on one table, key prefix and secret.
// Every cell of the matrix (database × who created the table × signed ids ×
// key prefix) is a subtest. Needs /usr/bin/python3 with
// python3-flask-session, python3-flask-sqlalchemy, python3-psycopg2 and
// python3-pymysql.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/fsinterop"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/sqlstore"
	"github.com/flaskgo/session/typedjson"
)

// flaskURI is the SQLALCHEMY_DATABASE_URI of the peer for a backend: the
// same database the Go side opens.
func flaskURI(b *backend) string {
	switch b.dialect {
	case sqlstore.Postgres:
		return testenv.Env("FLASK_PG_URI", "postgresql+psycopg2://postgres@127.0.0.1/test")
	case sqlstore.MySQL:
		return testenv.Env("FLASK_MYSQL_URI", "mysql+pymysql://root@127.0.0.1/test")
	}
	return "sqlite:///" + filepath.Join(sqliteDir(), "sessions.db")
}

// TestFlaskSessionSQLInterop shares sessions between Flask-Session 0.3.2 and
// Go through Flask-Session's SQLAlchemy table.
func TestFlaskSessionSQLInterop(t *testing.T) {
	if out, err := exec.Command(testenv.SystemPython, "-c", "import flask, flask_session, flask_sqlalchemy, psycopg2, pymysql, markupsafe").CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot import flask, flask_session, flask_sqlalchemy, psycopg2 and pymysql (apt-get install python3-flask-session python3-flask-sqlalchemy python3-psycopg2 python3-pymysql): %v %s",
			testenv.SystemPython, err, bytes.TrimSpace(out))
	}
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t) // skips (fails under CI) when the server is down
		for _, creator := range []string{"flask", "go"} {
			for _, signed := range []bool{false, true} {
				for _, prefix := range []string{"session:", ""} {
					name := fmt.Sprintf("created-by-%s/signed=%v/prefix=%q", creator, signed, prefix)
					t.Run(name, func(t *testing.T) {
						newSQLInterop(t, b, creator == "flask", signed, prefix).run(t)
					})
				}
			}
		}
	})
}

type sqlInterop struct {
	b      *backend
	db     *sql.DB
	st     *sqlstore.Store
	table  string
	prefix string
	signed bool
	flask  string // base URL of the Flask peer
	goURL  string // base URL of the Go app
	client *http.Client
}

func newSQLInterop(t *testing.T, b *backend, flaskCreates, signed bool, prefix string) *sqlInterop {
	rnd := make([]byte, 6)
	rand.Read(rnd)
	x := &sqlInterop{
		b:      b,
		db:     b.open(t),
		table:  "sqlfs_interop_" + hex.EncodeToString(rnd),
		prefix: prefix,
		signed: signed,
		client: &http.Client{Timeout: 30 * time.Second},
	}
	admin := b.admin(t)
	t.Cleanup(func() { dropTable(t, admin, b.dialect, x.table) })
	st, err := sqlstore.New(x.db, b.dialect, sqlstore.WithTable(x.table), sqlstore.WithFlaskSessionLayout())
	if err != nil {
		t.Fatal(err)
	}
	x.st = st
	if !flaskCreates {
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	secret := "interop secret, long enough: " + hex.EncodeToString(rnd)
	args := []string{"--type", "sqlalchemy", "--sql", flaskURI(b), "--table", x.table}
	if flaskCreates {
		args = append(args, "--create")
	}
	o := fsinterop.Options{Signed: signed, Prefix: prefix}
	x.flask = fsinterop.StartFlask(t, secret, o, args...)
	if flaskCreates && !x.tableExists(t) {
		t.Fatalf("the Flask peer did not create table %s", x.table)
	}

	x.goURL = fsinterop.StartGo(t, st, secret, o)
	return x
}

// q rewrites ? placeholders for PostgreSQL.
func (x *sqlInterop) q(query string) string {
	if x.b.dialect != sqlstore.Postgres {
		return query
	}
	var out strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(c)
	}
	return out.String()
}

func (x *sqlInterop) tableExists(t *testing.T) bool {
	t.Helper()
	_, err := x.db.Exec("SELECT COUNT(*) FROM " + x.table)
	return err == nil
}

// rows counts the rows under a session id, expired or not.
func (x *sqlInterop) rows(t *testing.T, sid string) int {
	t.Helper()
	var n int
	if err := x.db.QueryRow(x.q("SELECT COUNT(*) FROM "+x.table+" WHERE session_id = ?"), x.prefix+sid).Scan(&n); err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return n
}

// stored reads the data column under a session id.
func (x *sqlInterop) stored(t *testing.T, sid string) []byte {
	t.Helper()
	var data []byte
	if err := x.db.QueryRow(x.q("SELECT data FROM "+x.table+" WHERE session_id = ?"), x.prefix+sid).Scan(&data); err != nil {
		t.Fatalf("row %s: %v", x.prefix+sid, err)
	}
	return data
}

// expire moves a row's expiry an hour into the past, in naive UTC as
// Flask-Session writes it.
func (x *sqlInterop) expire(t *testing.T, sid string) {
	t.Helper()
	past := time.Now().UTC().Add(-time.Hour)
	var arg any = past.Format("2006-01-02 15:04:05.000000")
	if x.b.dialect == sqlstore.Postgres {
		arg = past
	}
	res, err := x.db.Exec(x.q("UPDATE "+x.table+" SET expiry = ? WHERE session_id = ?"), arg, x.prefix+sid)
	if err != nil {
		t.Fatalf("expire row: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("expire row: %d rows", n)
	}
}

// wantExpiry checks that the row under sid expires about lifetime from now.
func (x *sqlInterop) wantExpiry(t *testing.T, who, sid string) {
	t.Helper()
	rec, err := x.st.Load(context.Background(), x.prefix+sid)
	if err != nil {
		t.Fatalf("Load of %s's row: %v", who, err)
	}
	want := time.Now().Add(session.DefaultLifetime)
	if d := rec.Expires.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("%s's row expires %v; want about %v (naive UTC read as UTC)", who, rec.Expires.UTC(), want.UTC())
	}
}

func (x *sqlInterop) run(t *testing.T) {
	// 1. Flask writes every kind of value; Go reads them with Flask's cookie.
	flaskValues := map[string]any{"$dict": []any{
		[]any{"user_id", 42},
		[]any{"username", "h\u00e9llo \u2603 \U0001F600 \u65e5\u672c"},
		[]any{"huge", json.Number("1180591620717411303424")},
		[]any{"neg", -129},
		[]any{"pi", map[string]any{"$float": "3.14159"}},
		[]any{"none", nil},
		[]any{"yes", true},
		[]any{"no", false},
		[]any{"list", []any{1, "two", map[string]any{"$float": "3.5"}}},
		[]any{"nested", map[string]any{"$dict": []any{[]any{"a", []any{1, 2, map[string]any{"$dict": []any{[]any{"b", nil}}}}}}}},
		[]any{"pair", map[string]any{"$tuple": []any{1, "a"}}},
		[]any{"blob", map[string]any{"$bytes": "AAH+/2Jpbg=="}},
		[]any{"when_utc", map[string]any{"$datetime": "2024-01-02T03:04:05+00:00"}},
	}}
	fw := fsinterop.Do(t, x.client, "POST", x.flask+"/set", "", flaskValues)
	if !fw.SetCookie || fw.SID == "" {
		t.Fatalf("Flask set no session cookie: %+v", fw)
	}
	if x.signed != strings.Contains(fw.Cookie, ".") {
		t.Fatalf("Flask cookie %q: signed=%v", fw.Cookie, x.signed)
	}
	cookie := fw.Cookie
	if p := x.stored(t, fw.SID); p[0] != 0x80 || p[1] != 4 {
		t.Fatalf("Flask stored %x..., want a protocol 4 pickle", p[:2])
	}
	x.wantExpiry(t, "Flask", fw.SID)
	want := fw.Values(t)
	g := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", cookie, nil)
	if g.SID != fw.SID {
		t.Fatalf("Go opened session %q, Flask wrote %q", g.SID, fw.SID)
	}
	if d := typedjson.Diff(want, g.Values(t)); d != "" {
		t.Fatalf("Go read Flask's session differently: %s", d)
	}

	// 2. Go changes it; Flask reads the change under the same cookie.
	goChange := map[string]any{"$dict": []any{
		[]any{"username", "b\u00f6b \u2764"},
		[]any{"cart", []any{1, 2, map[string]any{"$tuple": []any{"sku", 3}}}},
		[]any{"go_big", json.Number("-99999999999999999999999")},
		[]any{"go_float", map[string]any{"$float": "-2.5e-300"}},
		[]any{"go_none", nil},
		[]any{"go_dict", map[string]any{"$dict": []any{[]any{"k", true}}}},
	}}
	gw := fsinterop.Do(t, x.client, "POST", x.goURL+"/set", cookie, goChange)
	if gw.SID != fw.SID {
		t.Fatalf("Go moved the session to %q", gw.SID)
	}
	if p := x.stored(t, fw.SID); p[0] != 0x80 || p[1] != 2 {
		t.Fatalf("Go stored %x..., want its protocol 2 pickle", p[:2])
	}
	if n := x.rows(t, fw.SID); n != 1 {
		t.Fatalf("%d rows under the session after Go's update; want 1", n)
	}
	fr := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", cookie, nil)
	if fr.SID != fw.SID {
		t.Fatalf("Flask opened %q, want %q", fr.SID, fw.SID)
	}
	if d := typedjson.Diff(gw.Values(t), fr.Values(t)); d != "" {
		t.Fatalf("Flask read Go's session differently: %s", d)
	}

	// 3. Go creates a session; Flask reads it with Go's cookie.
	gc := fsinterop.Do(t, x.client, "POST", x.goURL+"/set?permanent=1", "", map[string]any{"$dict": []any{
		[]any{"created_by", "go"},
		[]any{"n", 7},
		[]any{"_flashes", []any{map[string]any{"$tuple": []any{"info", "welcome \u00e0 bord"}}}},
	}})
	gc.SID = gc.Cookie
	if i := strings.LastIndexByte(gc.Cookie, '.'); x.signed && i >= 0 {
		gc.SID = gc.Cookie[:i]
	}
	if !gc.SetCookie || len(gc.SID) != 43 || gc.SID == fw.SID {
		t.Fatalf("Go created no new session: %+v", gc)
	}
	if x.signed != strings.Contains(gc.Cookie, ".") {
		t.Fatalf("Go cookie %q: signed=%v", gc.Cookie, x.signed)
	}
	if n := x.rows(t, gc.SID); n != 1 {
		t.Fatalf("%d rows under %q+Go's id; want 1", n, x.prefix)
	}
	x.wantExpiry(t, "Go", gc.SID)
	fc := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil)
	if fc.SID != gc.SID {
		t.Fatalf("Flask opened %q for Go's cookie, want %q (signature or id rejected)", fc.SID, gc.SID)
	}
	if d := typedjson.Diff(gc.Values(t), fc.Values(t)); d != "" {
		t.Fatalf("Flask read Go's new session differently: %s", d)
	}

	// 4. Flash messages both ways (Flask stores them as tuples).
	if got := fsinterop.Do(t, x.client, "GET", x.flask+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"info", "welcome \u00e0 bord"} {
		t.Errorf("Flask consumed flashes %v, want [[info welcome \u00e0 bord]]", got)
	}
	fsinterop.Do(t, x.client, "POST", x.flask+"/flash?msg=saved&cat=success", gc.Cookie, nil)
	if got := fsinterop.Do(t, x.client, "GET", x.goURL+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"success", "saved"} {
		t.Errorf("Go consumed flashes %v, want [[success saved]]", got)
	}
	if _, ok := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil).Values(t)["_flashes"]; ok {
		t.Errorf("Flask still has _flashes after Go consumed them")
	}

	// 5. An expired row is served by neither side (Go leaves it to
	// DeleteExpired, Flask deletes it on read).
	x.expire(t, gc.SID)
	if v := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", gc.Cookie, nil).Values(t); len(v) != 0 {
		t.Errorf("Go served an expired row: %v", v)
	}
	if n := x.rows(t, gc.SID); n != 1 {
		t.Errorf("Go's read of an expired row left %d rows; want it untouched", n)
	}
	if v := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil).Values(t); v["created_by"] != nil {
		t.Errorf("Flask served an expired row: %v", v)
	}
	// Flask-Session deleted it, then (accepting any id it is given) stored
	// a fresh {"_permanent": True} under the same id.
	if n := x.rows(t, gc.SID); n > 1 || n == 1 && bytes.Contains(x.stored(t, gc.SID), []byte("created_by")) {
		t.Errorf("the expired row survived Flask's read (%d rows)", n)
	}

	// 6. A delete on one side is seen by the other. Go clears the session
	// Flask created (and Go changed)...
	cl := fsinterop.Do(t, x.client, "POST", x.goURL+"/clear", cookie, nil)
	if !cl.SetCookie || cl.Cookie != "" {
		t.Errorf("Go sent no deletion cookie on clear")
	}
	if n := x.rows(t, fw.SID); n != 0 {
		t.Errorf("the row survived Go's clear")
	}
	if v := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", cookie, nil).Values(t); len(v) != 0 && v["username"] != nil {
		t.Errorf("Flask still sees data Go cleared: %v", v)
	}
	// ...and Flask clears one Go created.
	g2 := fsinterop.Do(t, x.client, "POST", x.goURL+"/set?permanent=1", "", map[string]any{"$dict": []any{[]any{"k", "v"}}})
	g2sid := g2.Cookie
	if i := strings.LastIndexByte(g2.Cookie, '.'); x.signed && i >= 0 {
		g2sid = g2.Cookie[:i]
	}
	if n := x.rows(t, g2sid); n != 1 {
		t.Fatalf("Go's second session: %d rows", n)
	}
	fsinterop.Do(t, x.client, "POST", x.flask+"/clear", g2.Cookie, nil)
	if n := x.rows(t, g2sid); n != 0 {
		t.Errorf("the row survived Flask's clear")
	}
	if v := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", g2.Cookie, nil).Values(t); len(v) != 0 {
		t.Errorf("Go still sees data Flask cleared: %v", v)
	}
}
