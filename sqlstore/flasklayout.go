package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	session "github.com/flaskgo/session"
)

// WithFlaskSessionLayout makes the store read and write the table of
// Flask-Session's SQLAlchemy backend (SESSION_TYPE = "sqlalchemy") instead of
// the store's native table: columns id, session_id, data and expiry, the
// table named by WithTable (SESSION_SQLALCHEMY_TABLE, default "sessions").
// Store keys are the session_id values, so the Manager should use
// Config.PlainStoreKeys with Flask-Session's key prefix.
//
// The layout has no user and no version column. Record.UserID is not kept
// (Load reports ""), and UserSessions and DeleteUserSessions return an error
// wrapping session.ErrNotSupported. Versions are derived from the stored
// data (see SaveIfVersion). See the package README for the columns per
// Flask-Session version and dialect.
func WithFlaskSessionLayout() Option { return func(c *config) { c.flask = true } }

// ErrNoUserIndex is wrapped (with session.ErrNotSupported) by UserSessions
// and DeleteUserSessions of a store in the Flask-Session layout, whose table
// has no column for the owner of a session.
var ErrNoUserIndex = errors.New("sqlstore: the Flask-Session table has no user column")

// flaskQueries are the statements of the Flask-Session layout, built by New.
type flaskQueries struct {
	load      string // key → session_id, data, expiry
	insert    string // key, data, expiry
	update    string // data, expiry, key
	casUpdate string // data, expiry, key, old data, now
	create    string // key, data, expiry, now → id (Postgres, SQLite)
	dropDead  string // key, now (MySQL create)
	touch     string // expiry, key, now
	del       string // key
	sweep     string // now, limit
	list      string // pattern, now → session_id, expiry
	listLimit string // pattern, now, limit
	migrate   []string
}

func buildFlaskQueries(d Dialect, table string) flaskQueries {
	t := d.quote(table)
	sid, data, exp, id := d.quote("session_id"), d.quote("data"), d.quote("expiry"), d.quote("id")
	live := exp + " > ?"
	dead := "(" + exp + " IS NULL OR " + exp + " <= ?)"

	var q flaskQueries
	q.load = "SELECT " + sid + ", " + data + ", " + exp + " FROM " + t + " WHERE " + sid + " = ?"
	q.insert = "INSERT INTO " + t + " (" + sid + ", " + data + ", " + exp + ") VALUES (?, ?, ?)"
	q.update = "UPDATE " + t + " SET " + data + " = ?, " + exp + " = ? WHERE " + sid + " = ?"
	q.casUpdate = q.update + " AND " + data + " = ? AND " + live
	q.touch = "UPDATE " + t + " SET " + exp + " = ? WHERE " + sid + " = ? AND " + live
	q.del = "DELETE FROM " + t + " WHERE " + sid + " = ?"
	match := sid + " LIKE ? ESCAPE '" + likeEscape + "'"
	if d == SQLite {
		match = sid + " GLOB ?"
	}
	q.list = "SELECT " + sid + ", " + exp + " FROM " + t + " WHERE " + match + " AND " + live + " ORDER BY " + sid
	q.listLimit = q.list + " LIMIT ?"

	switch d {
	case Postgres, SQLite:
		// Only a dead row is replaced; a live one makes the insert do
		// nothing and return no row. The insert draws an id (a sequence
		// value in PostgreSQL) only when a session is created, never on the
		// updates, which use UPDATE: the id column is a 32-bit integer.
		q.create = q.insert + " ON CONFLICT (" + sid + ") DO UPDATE SET " + data + " = excluded." + data + ", " +
			exp + " = excluded." + exp + " WHERE " + t + "." + exp + " IS NULL OR " + t + "." + exp + " <= ? RETURNING " + id
		q.sweep = "DELETE FROM " + t + " WHERE " + id + " IN (SELECT " + id + " FROM " + t + " WHERE " + dead + " LIMIT ?)"
	case MySQL:
		q.dropDead = "DELETE FROM " + t + " WHERE " + sid + " = ? AND " + dead
		q.sweep = "DELETE FROM " + t + " WHERE " + dead + " LIMIT ?"
	}

	// The tables Flask-SQLAlchemy's create_all makes for Flask-Session's
	// model (SQLAlchemy 1.4 and 2.0 emit the same), with the unique
	// constraint it names implicitly.
	switch d {
	case Postgres:
		q.migrate = []string{"CREATE TABLE IF NOT EXISTS " + t + " (" +
			id + " SERIAL NOT NULL, " +
			sid + " VARCHAR(255), " +
			data + " BYTEA, " +
			exp + " TIMESTAMP WITHOUT TIME ZONE, " +
			"PRIMARY KEY (" + id + "), " +
			"UNIQUE (" + sid + "))"}
	case MySQL:
		// Two deliberate differences from create_all, which writes
		// VARCHAR(255) in the table's default collation (case-insensitive)
		// and BLOB (at most 65,535 bytes): session ids compare as bytes, and
		// sessions may be as large as in the native layout.
		q.migrate = []string{"CREATE TABLE IF NOT EXISTS " + t + " (" +
			id + " INTEGER NOT NULL AUTO_INCREMENT, " +
			sid + " VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, " +
			data + " LONGBLOB, " +
			exp + " DATETIME, " +
			"PRIMARY KEY (" + id + "), " +
			"UNIQUE (" + sid + ")) ENGINE=InnoDB"}
	case SQLite:
		q.migrate = []string{"CREATE TABLE IF NOT EXISTS " + t + " (" +
			id + " INTEGER NOT NULL, " +
			sid + " VARCHAR(255), " +
			data + " BLOB, " +
			exp + " DATETIME, " +
			"PRIMARY KEY (" + id + "), " +
			"UNIQUE (" + sid + "))"}
	}

	if d == Postgres {
		for _, p := range []*string{&q.load, &q.insert, &q.update, &q.casUpdate, &q.create, &q.touch, &q.del, &q.sweep, &q.list, &q.listLimit} {
			*p = renumber(*p, 1)
		}
	}
	return q
}

// SQLAlchemy's DateTime holds a naive UTC time (Flask-Session writes
// datetime.utcnow() + lifetime, or Flask's aware UTC expiry, whose zone the
// drivers drop). SQLite keeps it as text in this format, which sorts as
// time does; MySQL parses the same text.
const flaskTimeLayout = "2006-01-02 15:04:05.000000"

var (
	flaskMinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	flaskMaxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// flaskTime converts t to the expiry parameter of the dialect: naive UTC,
// clamped to what Python's datetime and MySQL's DATETIME can hold (the zero
// time becomes 1970, long expired).
func (s *Store) flaskTime(t time.Time) any {
	t = t.UTC()
	switch {
	case t.Before(flaskMinTime):
		t = flaskMinTime
	case t.After(flaskMaxTime):
		t = flaskMaxTime
	}
	t = t.Truncate(time.Microsecond)
	if s.d == Postgres {
		return t
	}
	return t.Format(flaskTimeLayout)
}

// parseFlaskTime reads an expiry as the driver returns it. A driver that
// parses it into a time.Time may attach its own location to the naive
// value: only the wall clock counts, read as UTC. NULL (a non-permanent
// session of Flask-Session before 0.6) is reported as not ok: expired.
func parseFlaskTime(v any) (time.Time, bool) {
	var s string
	switch v := v.(type) {
	case time.Time:
		return time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC), true
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return time.Time{}, false
	}
	s = strings.Replace(strings.TrimSpace(s), "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// flaskVersion is the version of stored data: the first 8 bytes of its
// SHA-256, never 0. Equal data has equal versions, so a write that brought
// the data back to what a reader loaded does not conflict with that reader,
// whose changes then apply to exactly the state it read.
func flaskVersion(data []byte) uint64 {
	sum := sha256.Sum256(data)
	v := binary.BigEndian.Uint64(sum[:8])
	if v == 0 {
		v = 1
	}
	return v
}

// flaskRow is one row as Load sees it.
type flaskRow struct {
	data    []byte
	expires time.Time
	live    bool
}

// flaskRead reads the row under key. found is false when there is none, or
// when the database matched a session_id that differs from key (a MySQL
// table created by Flask compares case-insensitively).
func (s *Store) flaskRead(ctx context.Context, key string) (row flaskRow, found bool, err error) {
	var (
		sid  string
		data []byte
		exp  any
	)
	err = s.db.QueryRowContext(ctx, s.fq.load, key).Scan(&sid, &data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return flaskRow{}, false, nil
	}
	if err != nil {
		return flaskRow{}, false, err
	}
	if sid != key {
		return flaskRow{}, false, nil
	}
	if data == nil {
		data = []byte{}
	}
	row.data = data
	row.expires, row.live = parseFlaskTime(exp)
	row.live = row.live && row.expires.After(s.now())
	return row, true, nil
}

func (s *Store) flaskLoad(ctx context.Context, key string) (session.Record, error) {
	row, found, err := s.flaskRead(ctx, key)
	if err != nil {
		return session.Record{}, fmt.Errorf("sqlstore: load from %s: %w", s.table, err)
	}
	if !found || !row.live {
		return session.Record{}, fmt.Errorf("sqlstore: load: %w", session.ErrNotFound)
	}
	return session.Record{Data: row.data, Expires: row.expires, Version: flaskVersion(row.data)}, nil
}

// flaskSave updates the row under key, or inserts one: UPDATE first, so
// that the 32-bit id column only counts sessions created. A concurrent
// creator winning the insert makes it update once more.
func (s *Store) flaskSave(ctx context.Context, key string, rec session.Record) error {
	d, exp := data(rec), s.flaskTime(rec.Expires)
	for attempt := 0; ; attempt++ {
		done, err := s.flaskUpdate(ctx, key, d, exp)
		if err != nil || done {
			return err
		}
		_, err = s.db.ExecContext(ctx, s.fq.insert, key, d, exp)
		if err == nil {
			return nil
		}
		// A concurrent creator won: update its row instead, once.
		if _, found, err2 := s.flaskRead(ctx, key); err2 != nil || !found || attempt == 1 {
			return fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
		}
	}
}

// flaskUpdate sets data and expiry of the row under key and reports whether
// there was one.
func (s *Store) flaskUpdate(ctx context.Context, key string, d []byte, exp any) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.fq.update, d, exp, key)
	if err != nil {
		return false, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	if n > 0 || s.d != MySQL {
		return n > 0, nil
	}
	// MySQL counts changed rows: rewriting identical values reports 0.
	_, found, err := s.flaskRead(ctx, key)
	if err != nil {
		return false, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	return found, nil
}

// flaskSaveIfVersion is a compare-and-swap on the data bytes: the row is
// read, its version (a hash of its data) checked, and the UPDATE made
// conditional on the data being still the bytes read and the row live.
func (s *Store) flaskSaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	d, exp := data(rec), s.flaskTime(rec.Expires)
	newVersion := flaskVersion(d)
	if rec.Version == 0 {
		return newVersion, s.flaskCreate(ctx, key, d, exp)
	}
	row, found, err := s.flaskRead(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	if !found || !row.live || flaskVersion(row.data) != rec.Version {
		return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
	}
	res, err := s.db.ExecContext(ctx, s.fq.casUpdate, d, exp, key, row.data, s.flaskTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	if n > 0 {
		return newVersion, nil
	}
	if s.d == MySQL {
		// No change counted: either the row moved on (a conflict) or it
		// already holds exactly what was to be written.
		now, found, err := s.flaskRead(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
		}
		if found && now.live && string(now.data) == string(d) && s.flaskTime(now.expires) == exp {
			return newVersion, nil
		}
	}
	return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
}

// flaskCreate inserts a row under key unless a live one is there; a dead
// one (expired, or without expiry) is replaced.
func (s *Store) flaskCreate(ctx context.Context, key string, d []byte, exp any) error {
	now := s.flaskTime(s.now())
	if s.d != MySQL {
		var id int64
		err := s.db.QueryRowContext(ctx, s.fq.create, key, d, exp, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
		}
		return nil
	}
	// As in the native layout: a row present at the INSERT was written
	// after the DELETE of the dead one, by a concurrent writer.
	if _, err := s.db.ExecContext(ctx, s.fq.dropDead, key, now); err != nil {
		return fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	_, err := s.db.ExecContext(ctx, s.fq.insert, key, d, exp)
	if err == nil {
		return nil
	}
	if _, found, err2 := s.flaskRead(ctx, key); err2 == nil && found {
		return fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
	}
	return fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
}

func (s *Store) flaskTouch(ctx context.Context, key string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, s.fq.touch, s.flaskTime(expires), key, s.flaskTime(s.now()))
	if err != nil {
		return fmt.Errorf("sqlstore: touch in %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: touch in %s: %w", s.table, err)
	}
	if n > 0 {
		return nil
	}
	if s.d == MySQL {
		// Setting the same expiry again reports no changed row.
		row, found, err := s.flaskRead(ctx, key)
		if err != nil {
			return fmt.Errorf("sqlstore: touch in %s: %w", s.table, err)
		}
		if found && row.live {
			return nil
		}
	}
	return fmt.Errorf("sqlstore: touch: %w", session.ErrNotFound)
}

func (s *Store) flaskListSessions(ctx context.Context, prefix string, limit int) ([]session.RecordInfo, error) {
	q, args := s.fq.list, []any{s.d.prefixPattern(prefix), s.flaskTime(s.now())}
	if limit > 0 {
		q, args = s.fq.listLimit, append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
	}
	defer rows.Close()
	var out []session.RecordInfo
	for rows.Next() {
		var (
			key string
			exp any
		)
		if err := rows.Scan(&key, &exp); err != nil {
			return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
		}
		t, ok := parseFlaskTime(exp)
		// A case-insensitive LIKE may match more than the prefix.
		if !ok || !strings.HasPrefix(key, prefix) || !utf8.ValidString(key) {
			continue
		}
		out = append(out, session.RecordInfo{Key: key, Expires: t})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
	}
	return out, nil
}

func errNoUserIndex(op string) error {
	return fmt.Errorf("sqlstore: %s: %w: %w", op, session.ErrNotSupported, ErrNoUserIndex)
}
