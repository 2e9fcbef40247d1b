// Package sqlstore is a session.Store on top of database/sql, for PostgreSQL,
// MySQL/MariaDB and SQLite.
//
// The store takes a *sql.DB the program opened with the driver of its choice
// and a Dialect saying which SQL to speak; it imports no driver itself.
// Migrate creates the table. Every expiry test compares against the store's
// clock (WithClock), passed as a parameter, never the database's NOW(), so
// application and database clocks need not agree. Expired rows are invisible
// at once but stay on disk until DeleteExpired removes them: schedule it.
//
// Besides session.Store the store implements session.Updater (optimistic
// versions), session.Toucher, session.Sweeper, session.UserIndex and
// session.Lister.
//
// WithFlaskSessionLayout switches to the table of Flask-Session's SQLAlchemy
// backend, shared with a Flask app; that layout has no user index.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	session "github.com/flaskgo/session"
)

// Errors returned by the store besides those of the session package.
var (
	// ErrInvalidOption reports a bad argument to New.
	ErrInvalidOption = errors.New("sqlstore: invalid option")
	// ErrInvalidKey reports a key the schema cannot hold: empty, longer than
	// MaxKeyLen bytes, not UTF-8, or containing NUL.
	ErrInvalidKey = errors.New("sqlstore: invalid key")
	// ErrInvalidUserID reports a Record.UserID the schema cannot hold: longer
	// than MaxUserIDLen bytes, not UTF-8, or containing NUL.
	ErrInvalidUserID = errors.New("sqlstore: invalid user id")
)

// Column limits of the schema, in bytes.
const (
	MaxKeyLen    = 255
	MaxUserIDLen = 255
)

// DefaultTable is the table used unless WithTable says otherwise.
const DefaultTable = "sessions"

// DefaultSweepBatch is how many rows DeleteExpired removes per statement
// unless WithSweepBatch says otherwise.
const DefaultSweepBatch = 1000

// maxTableLen keeps "<table>_expires_at_idx" within PostgreSQL's 63-byte
// identifier limit (MySQL allows 64).
const maxTableLen = 48

var tableRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Option configures a Store.
type Option func(*config)

type config struct {
	table string
	clock func() time.Time
	batch int
	flask bool // WithFlaskSessionLayout
}

// WithTable sets the table name. It must be 1 to 48 ASCII letters, digits
// and underscores, not starting with a digit; it is quoted in SQL, so case
// matters in PostgreSQL. The indexes are named <table>_expires_at_idx and
// <table>_user_id_idx.
func WithTable(name string) Option { return func(c *config) { c.table = name } }

// WithClock sets the clock used for every expiry comparison (default
// time.Now). Tests use it to move time forward.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithSweepBatch sets how many rows one DELETE statement of DeleteExpired
// removes (default 1000); smaller batches hold locks for shorter times.
func WithSweepBatch(n int) Option { return func(c *config) { c.batch = n } }

// Store is a session store in one SQL table. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	d     Dialect
	table string
	now   func() time.Time
	batch int
	q     queries
	flask bool         // Flask-Session's table (flasklayout.go)
	fq    flaskQueries // its statements, when flask
}

var (
	_ session.Store     = (*Store)(nil)
	_ session.Updater   = (*Store)(nil)
	_ session.Toucher   = (*Store)(nil)
	_ session.Sweeper   = (*Store)(nil)
	_ session.UserIndex = (*Store)(nil)
	_ session.Lister    = (*Store)(nil)
)

// New returns a store using db, which must have been opened with a driver
// speaking dialect. It does not touch the database; call Migrate to create
// the table.
func New(db *sql.DB, dialect Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *sql.DB", ErrInvalidOption)
	}
	if !dialect.valid() {
		return nil, fmt.Errorf("%w: unknown dialect %v", ErrInvalidOption, dialect)
	}
	c := config{table: DefaultTable, clock: time.Now, batch: DefaultSweepBatch}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if len(c.table) > maxTableLen || !tableRE.MatchString(c.table) {
		return nil, fmt.Errorf("%w: table name %q must be 1-%d letters, digits or underscores, not starting with a digit", ErrInvalidOption, c.table, maxTableLen)
	}
	if c.clock == nil {
		return nil, fmt.Errorf("%w: nil clock", ErrInvalidOption)
	}
	if c.batch < 1 {
		return nil, fmt.Errorf("%w: sweep batch %d must be positive", ErrInvalidOption, c.batch)
	}
	st := &Store{
		db:    db,
		d:     dialect,
		table: c.table,
		now:   c.clock,
		batch: c.batch,
		q:     buildQueries(dialect, c.table),
		flask: c.flask,
	}
	if c.flask {
		st.fq = buildFlaskQueries(dialect, c.table)
		st.q.migrate = st.fq.migrate
	}
	return st, nil
}

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// Migrate creates the table and its indexes if they do not exist. It is
// idempotent and safe to run from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	var err error
	switch s.d {
	case Postgres:
		err = s.migratePostgres(ctx)
	case MySQL:
		if s.flask {
			_, err = s.db.ExecContext(ctx, s.q.migrate[0])
			break
		}
		err = s.migrateMySQL(ctx)
	default:
		for _, stmt := range s.q.migrate {
			if _, err = s.db.ExecContext(ctx, stmt); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("sqlstore: migrate table %s: %w", s.table, err)
	}
	return nil
}

// migratePostgres serialises migrations with an advisory lock because
// concurrent CREATE ... IF NOT EXISTS can still fail in PostgreSQL with a
// unique violation in the system catalogs.
func (s *Store) migratePostgres(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	h := fnv.New64a()
	h.Write([]byte("github.com/flaskgo/session/sqlstore:" + s.table))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return err
	}
	for _, stmt := range s.q.migrate {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// migrateMySQL creates the table with its indexes in one atomic statement,
// then adds any index missing from a table created some other way. MySQL has
// no CREATE INDEX IF NOT EXISTS, so information_schema is consulted, and a
// concurrent creator winning the race is detected by looking again.
func (s *Store) migrateMySQL(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.q.migrate[0]); err != nil {
		return err
	}
	hasIndex := func(name string) (bool, error) {
		var n int
		err := s.db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?",
			s.table, name).Scan(&n)
		return n > 0, err
	}
	for _, ix := range s.q.indexes {
		ok, err := hasIndex(ix[0])
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if _, err := s.db.ExecContext(ctx, ix[1]); err != nil {
			if ok, err2 := hasIndex(ix[0]); err2 == nil && ok {
				continue
			}
			return err
		}
	}
	return nil
}

// Load returns the live record under key.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	if err := checkKey(key); err != nil {
		// No such row can exist; a forged cookie should read as "no session".
		return session.Record{}, fmt.Errorf("sqlstore: load: %w: %w", session.ErrNotFound, err)
	}
	if s.flask {
		return s.flaskLoad(ctx, key)
	}
	var (
		rec  session.Record
		exp  int64
		user sql.NullString
		ver  int64
	)
	err := s.db.QueryRowContext(ctx, s.q.load, key, nanos(s.now())).Scan(&rec.Data, &exp, &user, &ver)
	if errors.Is(err, sql.ErrNoRows) {
		return session.Record{}, fmt.Errorf("sqlstore: load: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Record{}, fmt.Errorf("sqlstore: load from %s: %w", s.table, err)
	}
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	rec.Expires = time.Unix(0, exp)
	rec.UserID = user.String
	rec.Version = uint64(ver)
	return rec, nil
}

// Save stores rec under key, replacing any record there, and moves the
// version on (or starts it at a random value for a new row).
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	if err := checkRecord(key, rec); err != nil {
		return fmt.Errorf("sqlstore: save: %w", err)
	}
	if s.flask {
		return s.flaskSave(ctx, key, rec)
	}
	start, err := firstVersion()
	if err != nil {
		return fmt.Errorf("sqlstore: save: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q.save, key, data(rec), nanos(rec.Expires), userArg(rec.UserID), start); err != nil {
		return fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	return nil
}

// SaveIfVersion stores rec under key only if the live row still has version
// rec.Version, or, when rec.Version is 0, only if there is no live row (an
// expired one is replaced). It returns the new version, or an error wrapping
// session.ErrConflict if the condition failed.
//
// A new row starts at a random 62-bit version, so a key deleted and created
// again does not repeat versions an old reader might still hold.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := checkRecord(key, rec); err != nil {
		return 0, fmt.Errorf("sqlstore: save: %w", err)
	}
	if s.flask {
		return s.flaskSaveIfVersion(ctx, key, rec)
	}
	now := nanos(s.now())
	if rec.Version != 0 {
		if rec.Version > math.MaxInt64 {
			// No stored version is this large.
			return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
		}
		res, err := s.db.ExecContext(ctx, s.q.update, data(rec), nanos(rec.Expires), userArg(rec.UserID), key, int64(rec.Version), now)
		if err != nil {
			return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
		}
		// The version always changes, so MySQL's "changed rows" count is
		// the matched count here.
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
		}
		if n == 0 {
			return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
		}
		return rec.Version + 1, nil
	}

	start, err := firstVersion()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: save: %w", err)
	}
	if s.d == MySQL {
		return s.createMySQL(ctx, key, rec, start, now)
	}
	var v int64
	err = s.db.QueryRowContext(ctx, s.q.create, key, data(rec), nanos(rec.Expires), userArg(rec.UserID), start, now).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	return uint64(v), nil
}

// createMySQL inserts a new row after removing an expired one under the same
// key. The two statements need no transaction: the DELETE only removes a
// row that is expired when it runs, and a row present when the INSERT runs
// was written after it, by a concurrent writer, which is a conflict. The
// driver's duplicate-key error is recognised by looking for the row rather
// than by error number, so the store needs no driver import.
func (s *Store) createMySQL(ctx context.Context, key string, rec session.Record, start, now int64) (uint64, error) {
	if _, err := s.db.ExecContext(ctx, s.q.dropDead, key, now); err != nil {
		return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
	}
	_, err := s.db.ExecContext(ctx, s.q.insert, key, data(rec), nanos(rec.Expires), userArg(rec.UserID), start)
	if err == nil {
		return uint64(start), nil
	}
	var one int
	if err2 := s.db.QueryRowContext(ctx, s.q.exists, key).Scan(&one); err2 == nil {
		return 0, fmt.Errorf("sqlstore: save: %w", session.ErrConflict)
	}
	return 0, fmt.Errorf("sqlstore: save to %s: %w", s.table, err)
}

// Touch sets the expiry of the live record under key without changing its
// data or version.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("sqlstore: touch: %w: %w", session.ErrNotFound, err)
	}
	if s.flask {
		return s.flaskTouch(ctx, key, expires)
	}
	now := nanos(s.now())
	res, err := s.db.ExecContext(ctx, s.q.touch, nanos(expires), key, now)
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
		// MySQL counts changed rows, not matched ones: setting the same
		// expiry again reports 0. Look before calling it missing.
		var one int
		err := s.db.QueryRowContext(ctx, s.q.live, key, now).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlstore: touch in %s: %w", s.table, err)
		}
	}
	return fmt.Errorf("sqlstore: touch: %w", session.ErrNotFound)
}

// Delete removes the record under key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if checkKey(key) != nil {
		return nil // no such row can exist
	}
	del := s.q.del
	if s.flask {
		del = s.fq.del
	}
	if _, err := s.db.ExecContext(ctx, del, key); err != nil {
		return fmt.Errorf("sqlstore: delete from %s: %w", s.table, err)
	}
	return nil
}

// DeleteExpired removes expired rows in batches (WithSweepBatch) until none
// is left, and reports how many it removed. It checks ctx between batches,
// so a cancelled sweep keeps the batches already done.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	now := nanos(s.now())
	q, args := s.q.sweep, []any{now, s.batch}
	if s.flask {
		q, args = s.fq.sweep, []any{s.flaskTime(s.now()), s.batch}
	} else if s.d != MySQL {
		args = append(args, now)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("sqlstore: delete expired from %s: %w", s.table, err)
		}
		res, err := s.db.ExecContext(ctx, q, args...)
		if err != nil {
			return total, fmt.Errorf("sqlstore: delete expired from %s: %w", s.table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlstore: delete expired from %s: %w", s.table, err)
		}
		total += int(n)
		if n < int64(s.batch) {
			return total, nil
		}
	}
}

// UserSessions lists the live sessions of userID, ordered by key. The empty
// user id means "anonymous" and has no sessions.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]session.RecordInfo, error) {
	if s.flask {
		return nil, errNoUserIndex("list user sessions")
	}
	if userID == "" || checkUserID(userID) != nil {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q.userList, userID, nanos(s.now()))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list user sessions in %s: %w", s.table, err)
	}
	defer rows.Close()
	var out []session.RecordInfo
	for rows.Next() {
		var (
			key string
			exp int64
		)
		if err := rows.Scan(&key, &exp); err != nil {
			return nil, fmt.Errorf("sqlstore: list user sessions in %s: %w", s.table, err)
		}
		out = append(out, session.RecordInfo{Key: key, UserID: userID, Expires: time.Unix(0, exp)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list user sessions in %s: %w", s.table, err)
	}
	return out, nil
}

// DeleteUserSessions deletes the live sessions of userID except the keys in
// except, and reports how many it deleted. Expired rows are left to
// DeleteExpired and not counted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	if s.flask {
		return 0, errNoUserIndex("delete user sessions")
	}
	if userID == "" || checkUserID(userID) != nil {
		return 0, nil
	}
	args := []any{userID, nanos(s.now())}
	seen := make(map[string]bool, len(except))
	for _, k := range except {
		if checkKey(k) == nil && !seen[k] {
			seen[k] = true
			args = append(args, k)
		}
	}
	q := s.q.userDelete
	if n := len(args) - 2; n > 0 {
		q += " AND " + s.d.quote("key") + " NOT IN (" + s.d.placeholders(n, 3) + ")"
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete user sessions from %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete user sessions from %s: %w", s.table, err)
	}
	return int(n), nil
}

// ListSessions lists the live sessions whose key starts with prefix,
// ordered by key, at most limit of them (limit <= 0: all). The prefix is
// matched with LIKE (GLOB in SQLite), its wildcards escaped, so the
// primary key index narrows the scan.
func (s *Store) ListSessions(ctx context.Context, prefix string, limit int) ([]session.RecordInfo, error) {
	if !utf8.ValidString(prefix) || strings.IndexByte(prefix, 0) >= 0 {
		return nil, nil // no stored key can start with it
	}
	if s.flask {
		return s.flaskListSessions(ctx, prefix, limit)
	}
	q, args := s.q.list, []any{s.d.prefixPattern(prefix), nanos(s.now())}
	if limit > 0 {
		q, args = s.q.listLimit, append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
	}
	defer rows.Close()
	var out []session.RecordInfo
	for rows.Next() {
		var (
			info session.RecordInfo
			exp  int64
			user sql.NullString
		)
		if err := rows.Scan(&info.Key, &exp, &user); err != nil {
			return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
		}
		info.Expires, info.UserID = time.Unix(0, exp), user.String
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list sessions in %s: %w", s.table, err)
	}
	return out, nil
}

// checkKey enforces what every dialect's key column can hold, so that the
// three databases accept and reject the same keys.
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLen || !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return ErrInvalidKey
	}
	return nil
}

func checkUserID(id string) error {
	if len(id) > MaxUserIDLen || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		return ErrInvalidUserID
	}
	return nil
}

func checkRecord(key string, rec session.Record) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return checkUserID(rec.UserID)
}

// data never returns nil: database/sql sends a nil slice as NULL, which the
// NOT NULL column rejects.
func data(rec session.Record) []byte {
	if rec.Data == nil {
		return []byte{}
	}
	return rec.Data
}

// userArg stores the anonymous user as NULL so that the user index skips it.
func userArg(id string) any {
	if id == "" {
		return nil
	}
	return id
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos converts t to Unix nanoseconds, clamping times outside the int64
// range (years 1678 to 2262); the zero time becomes the far past, so a
// record without an expiry is already expired.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// firstVersion returns a random version in [1, 2^62): unpredictable, so a
// recreated key does not reuse an old version, and far from overflow.
func firstVersion() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("random version: %w", err)
	}
	v := int64(binary.LittleEndian.Uint64(b[:]) >> 2)
	if v == 0 {
		v = 1
	}
	return v, nil
}
