package sqlstore

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
)

func TestParseFlaskTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	tests := []struct {
		name string
		in   any
		want time.Time
		ok   bool
	}{
		{"SQLAlchemy text (SQLite)", "2027-01-02 17:03:31.098387", utc(2027, 1, 2, 17, 3, 31, 98387), true},
		{"MySQL DATETIME bytes", []byte("2027-01-02 17:03:31"), utc(2027, 1, 2, 17, 3, 31, 0), true},
		{"ISO T separator", "2027-01-02T17:03:31.5", utc(2027, 1, 2, 17, 3, 31, 500000), true},
		{"with offset", "2027-01-02 17:03:31+00:00", utc(2027, 1, 2, 17, 3, 31, 0), true},
		{"date only", "2027-01-02", utc(2027, 1, 2, 0, 0, 0, 0), true},
		// A driver that attaches its own location to a naive value: only
		// the wall clock counts.
		{"time in another zone", time.Date(2027, 1, 2, 17, 3, 31, 0, time.FixedZone("X", 3600)), utc(2027, 1, 2, 17, 3, 31, 0), true},
		{"NULL", nil, time.Time{}, false},
		{"garbage", "soon", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseFlaskTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%s: parseFlaskTime(%v) = %v, %v; want %v, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFlaskTimeParam(t *testing.T) {
	st := &Store{d: SQLite}
	at := time.Date(2027, 1, 2, 18, 3, 31, 98387123, time.FixedZone("CET", 3600))
	if got := st.flaskTime(at); got != "2027-01-02 17:03:31.098387" {
		t.Errorf("flaskTime = %v; want naive UTC text with microseconds", got)
	}
	if got := st.flaskTime(time.Time{}); got != "1970-01-01 00:00:00.000000" {
		t.Errorf("flaskTime(zero) = %v; want 1970 (expired)", got)
	}
	if got := st.flaskTime(time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)); got != "9999-12-31 23:59:59.000000" {
		t.Errorf("flaskTime(year 20000) = %v; want clamped to 9999", got)
	}
	pg := &Store{d: Postgres}
	if got := pg.flaskTime(at).(time.Time); got.Location() != time.UTC || got.Hour() != 17 {
		t.Errorf("Postgres flaskTime = %v; want a UTC time.Time", got)
	}
}

func TestFlaskVersion(t *testing.T) {
	a, b := flaskVersion([]byte("a")), flaskVersion([]byte("b"))
	if a == 0 || b == 0 || a == b || flaskVersion([]byte("a")) != a {
		t.Errorf("flaskVersion: a=%d b=%d; want stable, distinct, non-zero", a, b)
	}
}

func TestFlaskQueriesUseEveryPlaceholder(t *testing.T) {
	for _, d := range []Dialect{Postgres, MySQL, SQLite} {
		q := buildFlaskQueries(d, "t")
		count := func(s string) int {
			if d == Postgres {
				return strings.Count(s, "$")
			}
			return strings.Count(s, "?")
		}
		want := map[string]int{"load": 1, "insert": 3, "update": 3, "casUpdate": 5, "touch": 3, "del": 1, "sweep": 2, "list": 2, "listLimit": 3}
		got := map[string]string{"load": q.load, "insert": q.insert, "update": q.update, "casUpdate": q.casUpdate, "touch": q.touch, "del": q.del, "sweep": q.sweep, "list": q.list, "listLimit": q.listLimit}
		if d == MySQL {
			want["dropDead"], got["dropDead"] = 2, q.dropDead
		} else {
			want["create"], got["create"] = 4, q.create
		}
		for name, n := range want {
			if c := count(got[name]); c != n {
				t.Errorf("%v %s has %d placeholders; want %d: %s", d, name, c, n, got[name])
			}
		}
	}
}

// TestFlaskDDLMatchesSQLAlchemy compares Migrate's CREATE TABLE with the one
// SQLAlchemy (Debian's, as Flask-SQLAlchemy's create_all uses it) compiles
// for Flask-Session's model, dialect by dialect. MySQL differs on purpose
// (README): a binary collation for session_id and LONGBLOB for data.
func TestFlaskDDLMatchesSQLAlchemy(t *testing.T) {
	const script = `
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable
from sqlalchemy.dialects import postgresql, mysql, sqlite
t = sa.Table("sessions", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.String(255), unique=True),
    sa.Column("data", sa.LargeBinary),
    sa.Column("expiry", sa.DateTime))
for d in (postgresql.dialect(), mysql.dialect(), sqlite.dialect()):
    print(str(CreateTable(t).compile(dialect=d)).replace("\n", " ").strip())
`
	out, err := exec.Command(testenv.SystemPython, "-c", script).CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "%s cannot compile SQLAlchemy DDL (apt-get install python3-sqlalchemy): %v %s", testenv.SystemPython, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("SQLAlchemy printed %q", out)
	}
	space := regexp.MustCompile(`\s+`)
	norm := func(s string) string {
		s = strings.NewReplacer(`"`, "", "`", "", "IF NOT EXISTS ", "", " ENGINE=InnoDB", "").Replace(s)
		s = space.ReplaceAllString(s, " ")
		return strings.ReplaceAll(strings.ReplaceAll(s, "( ", "("), " )", ")")
	}
	for i, d := range []Dialect{Postgres, MySQL, SQLite} {
		want := norm(lines[i])
		if d == MySQL {
			want = strings.NewReplacer("session_id VARCHAR(255)", "session_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
				"data BLOB", "data LONGBLOB").Replace(want)
		}
		if got := norm(buildFlaskQueries(d, "sessions").migrate[0]); got != want {
			t.Errorf("%v DDL:\n got %s\nwant %s", d, got, want)
		}
	}
}
