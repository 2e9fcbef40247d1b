package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect names the SQL flavour spoken by the *sql.DB given to New. It only
// selects SQL text: the store never imports a driver, so a program links just
// the driver it registers itself.
type Dialect uint8

// The supported dialects. The zero Dialect is invalid.
const (
	// Postgres is PostgreSQL 9.5 or newer (ON CONFLICT), for example through
	// github.com/jackc/pgx/v5/stdlib.
	Postgres Dialect = iota + 1
	// MySQL is MySQL 5.7+ or MariaDB 10.2+ with InnoDB, for example through
	// github.com/go-sql-driver/mysql.
	MySQL
	// SQLite is SQLite 3.35 or newer (RETURNING), for example through the
	// pure-Go modernc.org/sqlite.
	SQLite
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

func (d Dialect) valid() bool { return d >= Postgres && d <= SQLite }

// quote quotes an identifier that validTable (or the fixed column list)
// already restricted to [A-Za-z0-9_]; quoting is still needed because "key"
// is a reserved word in MySQL and a table may be called "order".
func (d Dialect) quote(id string) string {
	if d == MySQL {
		return "`" + id + "`"
	}
	return `"` + id + `"`
}

// queries holds every statement of one store, built once in New so that the
// hot path does no string work. Statements are written with ? and renumbered
// to $n for PostgreSQL; arguments repeat where a placeholder repeats.
type queries struct {
	load       string // key, now → data, expires_at, user_id, version
	save       string // key, data, expires, user, start → upsert
	create     string // key, data, expires, user, start, now → version (Postgres, SQLite)
	dropDead   string // key, now: MySQL removes an expired row before create
	insert     string // key, data, expires, user, start (MySQL create)
	exists     string // key: any row (MySQL create)
	update     string // data, expires, user, key, version, now
	touch      string // expires, key, now
	live       string // key, now
	del        string // key
	sweep      string // now, limit[, now]
	userList   string // user, now → key, expires_at
	userDelete string // user, now, then AND key NOT IN (...) appended
	list       string // pattern, now → key, expires_at, user_id
	listLimit  string // pattern, now, limit → key, expires_at, user_id
	migrate    []string
	indexes    [][2]string // MySQL: index name, CREATE INDEX statement
}

func buildQueries(d Dialect, table string) queries {
	t := d.quote(table)
	k, data, exp, uid, ver := d.quote("key"), d.quote("data"), d.quote("expires_at"), d.quote("user_id"), d.quote("version")
	cols := k + ", " + data + ", " + exp + ", " + uid + ", " + ver
	expIdx, uidIdx := table+"_expires_at_idx", table+"_user_id_idx"

	var q queries
	q.load = "SELECT " + data + ", " + exp + ", " + uid + ", " + ver + " FROM " + t + " WHERE " + k + " = ? AND " + exp + " > ?"
	q.update = "UPDATE " + t + " SET " + data + " = ?, " + exp + " = ?, " + uid + " = ?, " + ver + " = " + ver + " + 1 WHERE " + k + " = ? AND " + ver + " = ? AND " + exp + " > ?"
	q.touch = "UPDATE " + t + " SET " + exp + " = ? WHERE " + k + " = ? AND " + exp + " > ?"
	q.live = "SELECT 1 FROM " + t + " WHERE " + k + " = ? AND " + exp + " > ?"
	q.del = "DELETE FROM " + t + " WHERE " + k + " = ?"
	q.userList = "SELECT " + k + ", " + exp + " FROM " + t + " WHERE " + uid + " = ? AND " + exp + " > ? ORDER BY " + k
	q.userDelete = "DELETE FROM " + t + " WHERE " + uid + " = ? AND " + exp + " > ?"

	// SQLite's LIKE ignores ASCII case, so SQLite matches prefixes with
	// GLOB, which does not; both can use the primary key index.
	match := k + " LIKE ? ESCAPE '" + likeEscape + "'"
	if d == SQLite {
		match = k + " GLOB ?"
	}
	q.list = "SELECT " + k + ", " + exp + ", " + uid + " FROM " + t + " WHERE " + match + " AND " + exp + " > ? ORDER BY " + k
	q.listLimit = q.list + " LIMIT ?"

	switch d {
	case Postgres, SQLite:
		ins := "INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (" + k + ") DO UPDATE SET " +
			data + " = excluded." + data + ", " + exp + " = excluded." + exp + ", " + uid + " = excluded." + uid + ", " +
			ver + " = " + t + "." + ver + " + 1"
		q.save = ins
		// The WHERE turns the upsert into "insert, or replace an expired row":
		// a live row makes it do nothing and return no row, atomically.
		q.create = ins + " WHERE " + t + "." + exp + " <= ? RETURNING " + ver
		lock := ""
		if d == Postgres {
			// Concurrent sweepers skip each other's rows instead of queueing.
			lock = " FOR UPDATE SKIP LOCKED"
		}
		// The outer expires_at test is re-checked on the current row version,
		// so a row revived by a concurrent Save between the subquery and the
		// delete survives.
		q.sweep = "DELETE FROM " + t + " WHERE " + k + " IN (SELECT " + k + " FROM " + t + " WHERE " + exp + " <= ? LIMIT ?" + lock + ") AND " + exp + " <= ?"
	case MySQL:
		// VALUES(col) is deprecated in MySQL 8.0.20 in favour of a row alias,
		// which MariaDB does not support; VALUES still works in both.
		q.save = "INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE " +
			data + " = VALUES(" + data + "), " + exp + " = VALUES(" + exp + "), " + uid + " = VALUES(" + uid + "), " +
			ver + " = " + ver + " + 1"
		q.dropDead = "DELETE FROM " + t + " WHERE " + k + " = ? AND " + exp + " <= ?"
		q.insert = "INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?)"
		q.exists = "SELECT 1 FROM " + t + " WHERE " + k + " = ?"
		// MySQL rejects LIMIT inside an IN subquery but allows it on DELETE.
		q.sweep = "DELETE FROM " + t + " WHERE " + exp + " <= ? ORDER BY " + exp + " LIMIT ?"
	}

	switch d {
	case Postgres:
		q.migrate = []string{
			"CREATE TABLE IF NOT EXISTS " + t + " (" +
				k + ` varchar(255) COLLATE "C" PRIMARY KEY, ` +
				data + " bytea NOT NULL, " +
				exp + " bigint NOT NULL, " +
				uid + ` varchar(255) COLLATE "C", ` +
				ver + " bigint NOT NULL)",
			"CREATE INDEX IF NOT EXISTS " + d.quote(expIdx) + " ON " + t + " (" + exp + ")",
			// Partial: anonymous sessions, usually the bulk, cost nothing here.
			"CREATE INDEX IF NOT EXISTS " + d.quote(uidIdx) + " ON " + t + " (" + uid + ") WHERE " + uid + " IS NOT NULL",
		}
	case MySQL:
		// VARBINARY compares bytes exactly; a VARCHAR with a _ci or PAD SPACE
		// collation would make "a" and "A " the same session.
		q.migrate = []string{
			"CREATE TABLE IF NOT EXISTS " + t + " (" +
				k + " VARBINARY(255) NOT NULL, " +
				data + " LONGBLOB NOT NULL, " +
				exp + " BIGINT NOT NULL, " +
				uid + " VARBINARY(255) NULL, " +
				ver + " BIGINT NOT NULL, " +
				"PRIMARY KEY (" + k + "), " +
				"INDEX " + d.quote(expIdx) + " (" + exp + "), " +
				"INDEX " + d.quote(uidIdx) + " (" + uid + ")" +
				") ENGINE=InnoDB",
		}
		q.indexes = [][2]string{
			{expIdx, "CREATE INDEX " + d.quote(expIdx) + " ON " + t + " (" + exp + ")"},
			{uidIdx, "CREATE INDEX " + d.quote(uidIdx) + " ON " + t + " (" + uid + ")"},
		}
	case SQLite:
		q.migrate = []string{
			"CREATE TABLE IF NOT EXISTS " + t + " (" +
				k + " TEXT NOT NULL PRIMARY KEY, " +
				data + " BLOB NOT NULL, " +
				exp + " INTEGER NOT NULL, " +
				uid + " TEXT, " +
				ver + " INTEGER NOT NULL)",
			"CREATE INDEX IF NOT EXISTS " + d.quote(expIdx) + " ON " + t + " (" + exp + ")",
			"CREATE INDEX IF NOT EXISTS " + d.quote(uidIdx) + " ON " + t + " (" + uid + ") WHERE " + uid + " IS NOT NULL",
			lockTableDDL(d, table), // Session.Lock's rows (lock.go)
		}
	}

	if d == Postgres {
		for _, p := range []*string{&q.load, &q.save, &q.create, &q.update, &q.touch, &q.live, &q.del, &q.sweep, &q.userList, &q.userDelete, &q.list, &q.listLimit} {
			*p = renumber(*p, 1)
		}
	}
	return q
}

// renumber rewrites each ? as $first, $first+1, ... The statements contain no
// string literals, so every ? is a placeholder.
func renumber(s string, first int) string {
	var b strings.Builder
	n := first
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// placeholders returns n placeholders separated by commas, numbered from
// first for PostgreSQL.
func (d Dialect) placeholders(n, first int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == Postgres {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + i))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// likeEscape escapes LIKE wildcards in prefix patterns. Not a backslash:
// MySQL would need it doubled inside the string literal.
const likeEscape = "!"

// prefixPattern returns the pattern matching every key that starts with
// prefix: a LIKE pattern, or a GLOB pattern for SQLite.
func (d Dialect) prefixPattern(prefix string) string {
	var b strings.Builder
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case d == SQLite && (c == '*' || c == '?' || c == '['):
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(']')
			continue
		case d != SQLite && (c == '%' || c == '_' || c == likeEscape[0]):
			b.WriteString(likeEscape)
		}
		b.WriteByte(c)
	}
	if d == SQLite {
		b.WriteByte('*')
	} else {
		b.WriteByte('%')
	}
	return b.String()
}
