package sqlstore

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRenumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b > ?", "a = $1 AND b > $2"},
		{"?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
	}
	for _, tt := range tests {
		if got := renumber(tt.in, 1); got != tt.want {
			t.Errorf("renumber(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if got := Postgres.placeholders(3, 3); got != "$3, $4, $5" {
		t.Errorf("Postgres.placeholders(3, 3) = %q", got)
	}
	if got := MySQL.placeholders(2, 3); got != "?, ?" {
		t.Errorf("MySQL.placeholders(2, 3) = %q", got)
	}
}

// TestQueriesUseEveryPlaceholder guards the argument order the store passes:
// each statement must have exactly as many placeholders as arguments.
func TestQueriesUseEveryPlaceholder(t *testing.T) {
	for _, d := range []Dialect{Postgres, MySQL, SQLite} {
		q := buildQueries(d, "t")
		count := func(s string) int {
			if d == Postgres {
				return strings.Count(s, "$")
			}
			return strings.Count(s, "?")
		}
		want := map[string]struct {
			q    string
			args int
		}{
			"load":       {q.load, 2},
			"save":       {q.save, 5},
			"update":     {q.update, 6},
			"touch":      {q.touch, 3},
			"live":       {q.live, 2},
			"del":        {q.del, 1},
			"userList":   {q.userList, 2},
			"userDelete": {q.userDelete, 2},
		}
		if d == MySQL {
			want["dropDead"] = struct {
				q    string
				args int
			}{q.dropDead, 2}
			want["insert"] = struct {
				q    string
				args int
			}{q.insert, 5}
			want["exists"] = struct {
				q    string
				args int
			}{q.exists, 1}
			want["sweep"] = struct {
				q    string
				args int
			}{q.sweep, 2}
		} else {
			want["create"] = struct {
				q    string
				args int
			}{q.create, 6}
			want["sweep"] = struct {
				q    string
				args int
			}{q.sweep, 3}
		}
		for name, w := range want {
			if got := count(w.q); got != w.args {
				t.Errorf("%v %s has %d placeholders; want %d: %s", d, name, got, w.args, w.q)
			}
		}
	}
}

func TestNanos(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want int64
	}{
		{"Zero", time.Time{}, math.MinInt64},
		{"Epoch", time.Unix(0, 0), 0},
		{"Now", time.Unix(1700000000, 123456789), 1700000000123456789},
		{"FarFuture", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{"FarPast", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), math.MinInt64},
	}
	for _, tt := range tests {
		if got := nanos(tt.t); got != tt.want {
			t.Errorf("%s: nanos(%v) = %d; want %d", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestFirstVersion(t *testing.T) {
	seen := map[int64]bool{}
	for i := 0; i < 1000; i++ {
		v, err := firstVersion()
		if err != nil {
			t.Fatal(err)
		}
		if v < 1 || v >= 1<<62 {
			t.Fatalf("firstVersion = %d; want in [1, 2^62)", v)
		}
		if seen[v] {
			t.Fatalf("firstVersion repeated %d", v)
		}
		seen[v] = true
	}
}

func TestDialectString(t *testing.T) {
	for d, want := range map[Dialect]string{Postgres: "postgres", MySQL: "mysql", SQLite: "sqlite", 0: "Dialect(0)", 9: "Dialect(9)"} {
		if got := d.String(); got != want {
			t.Errorf("Dialect(%d).String() = %q; want %q", uint8(d), got, want)
		}
	}
}
