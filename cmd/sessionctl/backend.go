package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // MySQL and MariaDB
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // SQLite, pure Go

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
)

// envStore names the environment variable holding the store URL.
const envStore = "SESSIONCTL_STORE"

// errNoListing is returned by backends that cannot enumerate their records.
var errNoListing = errors.New("this store cannot list its records")

// entry is one record as ls shows it.
type entry struct {
	Key     string
	Expires time.Time // zero: no expiry known
	UserID  string
	Expired bool // still stored, but expired (only with --all)
}

// listOpts selects what ls lists.
type listOpts struct {
	prefix string
	user   string
	all    bool // include expired records that are still stored
}

func (o listOpts) match(e entry) bool {
	return strings.HasPrefix(e.Key, o.prefix) && (o.user == "" || e.UserID == o.user) && (o.all || !e.Expired)
}

// counts is what stats reports.
type counts struct {
	known   bool
	total   int64 // records stored (including expired ones not yet swept)
	expired int64 // -1: unknown
	what    string
}

// backend is one opened store URL: the session.Store plus what sessionctl
// needs to know about it. Listing and counting go through session.Lister;
// a backend may add counter or expiredLister where its storage answers
// more cheaply or more fully.
type backend interface {
	store() session.Store
	describe() string
	// nativeTTL reports that the backend deletes expired records itself.
	nativeTTL() bool
	close() error
}

// counter is implemented by backends that count records without reading
// them (SQL COUNT(*)), including the expired ones not yet purged.
type counter interface {
	count(ctx context.Context, prefix string) (counts, error)
}

// expiredLister is implemented by backends that can list the expired
// records they still hold (ls --all): a Lister only sees live ones.
type expiredLister interface {
	listAll(ctx context.Context, o listOpts) ([]entry, error)
}

// rowLister is implemented by backends that list what ls shows themselves,
// where the store has no session.Lister (cachelib's files).
type rowLister interface {
	listRows(ctx context.Context, o listOpts) ([]entry, error)
}

// errNoExpiredListing is returned for ls --all by backends that keep expired
// records but cannot list them.
var errNoExpiredListing = errors.New("this store lists only live records")

// countRecords counts what stats reports: through counter where the backend
// has it, else by listing the live records.
func countRecords(ctx context.Context, b backend, prefix string) (counts, error) {
	if c, ok := b.(counter); ok {
		return c.count(ctx, prefix)
	}
	l, ok := b.store().(session.Lister)
	if !ok {
		return counts{}, nil
	}
	infos, err := l.ListSessions(ctx, prefix, 0)
	if err != nil {
		return counts{}, err
	}
	c := counts{known: true, total: int64(len(infos)), expired: -1, what: "live records"}
	if b.nativeTTL() {
		c.expired, c.what = 0, "live records (the store expires records itself)"
	}
	return c, nil
}

// listRecords returns the records ls shows, sorted by key: one user's
// through the user index, the others through session.Lister.
func listRecords(ctx context.Context, b backend, o listOpts) ([]entry, error) {
	if o.all {
		if al, ok := b.(expiredLister); ok {
			return al.listAll(ctx, o)
		}
		if !b.nativeTTL() {
			return nil, errNoExpiredListing
		}
		// Nothing expired is kept: the live records are all there is.
	}
	if rl, ok := b.(rowLister); ok {
		return rl.listRows(ctx, o)
	}
	var (
		infos []session.RecordInfo
		err   error
	)
	st := b.store()
	if ui, ok := st.(session.UserIndex); ok && o.user != "" {
		infos, err = ui.UserSessions(ctx, o.user)
	} else if l, ok := st.(session.Lister); ok {
		infos, err = l.ListSessions(ctx, o.prefix, 0)
	} else {
		return nil, errNoListing
	}
	if err != nil {
		return nil, err
	}
	return fromInfos(infos, o), nil
}

// storeOpts are the store flags that shape how a URL is opened.
type storeOpts struct {
	table string // SQL table
	batch int    // SQL sweep batch
	// flask opens the store in Flask-Session's layout for its backend
	// (--flask-session): cachelib's FileSystemCache for file:, the
	// SQLAlchemy table for SQL. Redis and memcached have one layout.
	flask bool
}

// openBackend opens raw (a store URL). Bad URLs are usage errors; failures
// to reach the store are store errors.
func openBackend(ctx context.Context, raw string, o storeOpts) (backend, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return nil, usageErr("store URL %q has no scheme; want memory:, file:DIR, sqlite:FILE, postgres://, mysql://, redis://, redis+cluster:// or memcached://", raw)
	}
	switch strings.ToLower(scheme) {
	case "memory", "mem":
		return &memBackend{st: memstore.New()}, nil
	case "file":
		if o.flask {
			return openCachelib(localPath(rest))
		}
		return openFile(localPath(rest))
	case "sqlite", "sqlite3":
		return openSQLite(ctx, localPath(rest), o)
	case "memcached", "memcache":
		return openMemcached(raw)
	case "postgres", "postgresql":
		return openPostgres(ctx, raw, o)
	case "mysql", "mariadb":
		dsn, err := mysqlDSN(raw)
		if err != nil {
			return nil, err
		}
		return openSQL(ctx, "mysql", dsn, sqlstore.MySQL, redact(raw), o)
	case "redis", "rediss", "unix":
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, usageErr("store URL: %v", err)
		}
		opts.DialTimeout = 5 * time.Second
		return openRedis(ctx, redis.NewClient(opts), redact(raw))
	case "redis+cluster", "rediss+cluster":
		opts, err := clusterOptions(raw)
		if err != nil {
			return nil, err
		}
		return openRedis(ctx, redis.NewClusterClient(opts), redact(raw))
	}
	return nil, usageErr("unknown store URL scheme %q; want memory:, file:, sqlite:, postgres:, mysql:, redis:, redis+cluster: or memcached:", scheme)
}

// localPath turns the part after "file:" or "sqlite:" into a path:
// "sqlite:x.db", "sqlite:/abs/x.db" and "sqlite:///abs/x.db" all work.
func localPath(rest string) string {
	if strings.HasPrefix(rest, "//") {
		return rest[2:]
	}
	return rest
}

// redact removes the password from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// mysqlDSN translates mysql://user:pass@host:port/db?params into the DSN of
// github.com/go-sql-driver/mysql: user:pass@tcp(host:port)/db?parseTime=false.
// Query parameters are passed on.
func mysqlDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", usageErr("store URL: %v", err)
	}
	if u.Host == "" {
		return "", usageErr("store URL %s: no host", redact(raw))
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(strings.Trim(u.Hostname(), "[]"), "3306")
	}
	var b strings.Builder
	if u.User != nil {
		b.WriteString(u.User.Username())
		if p, ok := u.User.Password(); ok {
			b.WriteByte(':')
			b.WriteString(p)
		}
		b.WriteByte('@')
	}
	b.WriteString("tcp(" + host + ")/" + strings.TrimPrefix(u.Path, "/") + "?parseTime=false")
	if u.RawQuery != "" {
		b.WriteString("&" + u.RawQuery)
	}
	return b.String(), nil
}

// clusterOptions parses redis+cluster://[user:pass@]h1:p1,h2:p2.
func clusterOptions(raw string) (*redis.ClusterOptions, error) {
	scheme, rest, _ := strings.Cut(raw, "://")
	if rest == "" {
		return nil, usageErr("store URL %q: want redis+cluster://host:port,host:port", redact(raw))
	}
	rest, _, _ = strings.Cut(rest, "/") // a database number means nothing to a cluster
	o := &redis.ClusterOptions{DialTimeout: 5 * time.Second}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, pass, hasPass := strings.Cut(rest[:at], ":")
		var err error
		if o.Username, err = url.PathUnescape(user); err != nil {
			return nil, usageErr("store URL: user name: %v", err)
		}
		if hasPass {
			if o.Password, err = url.PathUnescape(pass); err != nil {
				return nil, usageErr("store URL: password: %v", err)
			}
		}
		rest = rest[at+1:]
	}
	for _, a := range strings.Split(rest, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, usageErr("store URL: node %q: want host:port", a)
		}
		o.Addrs = append(o.Addrs, a)
	}
	if len(o.Addrs) == 0 {
		return nil, usageErr("store URL %q names no node", redact(raw))
	}
	if strings.HasPrefix(scheme, "rediss") {
		host, _, _ := net.SplitHostPort(o.Addrs[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return o, nil
}

// ---- memory ----

type memBackend struct{ st *memstore.Store }

func (b *memBackend) store() session.Store { return b.st }
func (b *memBackend) describe() string     { return "memory (an empty store inside this process)" }
func (b *memBackend) nativeTTL() bool      { return false }
func (b *memBackend) close() error         { return b.st.Close() }

func fromInfos(infos []session.RecordInfo, o listOpts) []entry {
	out := make([]entry, 0, len(infos))
	for _, in := range infos {
		e := entry{Key: in.Key, Expires: in.Expires, UserID: in.UserID}
		if o.match(e) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ---- file ----

type fileBackend struct {
	dir string
	st  *filestore.Store
}

func openFile(dir string) (backend, error) {
	if dir == "" {
		return nil, usageErr("store URL file: needs a directory, as in file:/var/lib/sessions")
	}
	// filestore.New creates a missing directory; an operator's typo must
	// not create an empty store that then "has no sessions".
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, storeErr(fmt.Errorf("file store: %w", err))
	}
	if !fi.IsDir() {
		return nil, storeErr(fmt.Errorf("file store: %s is not a directory", dir))
	}
	st, err := filestore.New(dir)
	if err != nil {
		return nil, storeErr(err)
	}
	return &fileBackend{dir: dir, st: st}, nil
}

func (b *fileBackend) store() session.Store { return b.st }
func (b *fileBackend) describe() string     { return "file store in " + b.dir }
func (b *fileBackend) nativeTTL() bool      { return false }
func (b *fileBackend) close() error         { return b.st.Close() }

// ---- SQL ----

type sqlBackend struct {
	db    *sql.DB
	d     sqlstore.Dialect
	table string
	st    *sqlstore.Store
	desc  string
}

func openSQLite(ctx context.Context, path string, o storeOpts) (backend, error) {
	if path == "" {
		return nil, usageErr("store URL sqlite: needs a file, as in sqlite:/var/lib/app/sessions.db")
	}
	// The driver would create a missing file; a typo must not look like an
	// empty store.
	if _, err := os.Stat(path); err != nil {
		return nil, storeErr(fmt.Errorf("sqlite: %w", err))
	}
	return openSQL(ctx, "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)", sqlstore.SQLite, "sqlite "+path, o)
}

func openPostgres(ctx context.Context, raw string, o storeOpts) (backend, error) {
	return openSQL(ctx, "pgx", raw, sqlstore.Postgres, redact(raw), o)
}

func openSQL(ctx context.Context, driver, dsn string, d sqlstore.Dialect, desc string, o storeOpts) (backend, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, usageErr("store URL: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, storeErr(fmt.Errorf("%s: %w", desc, err))
	}
	opts := []sqlstore.Option{sqlstore.WithTable(o.table)}
	if o.flask {
		opts = append(opts, sqlstore.WithFlaskSessionLayout())
	}
	if o.batch > 0 {
		opts = append(opts, sqlstore.WithSweepBatch(o.batch))
	}
	st, err := sqlstore.New(db, d, opts...)
	if err != nil {
		db.Close()
		return nil, usageErr("%v", err)
	}
	if o.flask {
		return &flaskSQLBackend{db: db, st: st, desc: fmt.Sprintf("%s, Flask-Session table %s", desc, o.table)}, nil
	}
	return &sqlBackend{db: db, d: d, table: o.table, st: st, desc: fmt.Sprintf("%s, table %s", desc, o.table)}, nil
}

func (b *sqlBackend) store() session.Store { return b.st }
func (b *sqlBackend) describe() string     { return b.desc }
func (b *sqlBackend) nativeTTL() bool      { return false }
func (b *sqlBackend) close() error         { return b.db.Close() }

// quote quotes an identifier; sqlstore.New has already restricted the
// table name to [A-Za-z0-9_].
func (b *sqlBackend) quote(id string) string {
	if b.d == sqlstore.MySQL {
		return "`" + id + "`"
	}
	return `"` + id + `"`
}

// query builds a statement from parts written with ?, numbering the
// placeholders for PostgreSQL.
func (b *sqlBackend) query(q string) string {
	if b.d != sqlstore.Postgres {
		return q
	}
	var sb strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteByte(q[i])
	}
	return sb.String()
}

// prefixRange returns the conditions selecting keys that start with prefix
// as a range on the primary key (every dialect compares keys bytewise:
// COLLATE "C", VARBINARY, SQLite's BINARY), so the index is used.
func (b *sqlBackend) prefixRange(prefix string) (string, []any) {
	if prefix == "" {
		return "", nil
	}
	k := b.quote("key")
	cond, args := " AND "+k+" >= ?", []any{prefix}
	if last := prefix[len(prefix)-1]; last < 0x7f {
		cond += " AND " + k + " < ?"
		args = append(args, prefix[:len(prefix)-1]+string(last+1))
	}
	return cond, args
}

func (b *sqlBackend) count(ctx context.Context, prefix string) (counts, error) {
	now := time.Now().UnixNano()
	cond, args := b.prefixRange(prefix)
	q := b.query("SELECT COUNT(*), COUNT(CASE WHEN " + b.quote("expires_at") + " <= ? THEN 1 END) FROM " + b.quote(b.table) + " WHERE 1 = 1" + cond)
	c := counts{known: true, what: "rows"}
	if err := b.db.QueryRowContext(ctx, q, append([]any{now}, args...)...).Scan(&c.total, &c.expired); err != nil {
		return counts{}, fmt.Errorf("counting rows of %s: %w", b.table, err)
	}
	return c, nil
}

// listAll lists live and expired rows (ls --all); without --all the
// store's own ListSessions is used.
func (b *sqlBackend) listAll(ctx context.Context, o listOpts) ([]entry, error) {
	now := time.Now().UnixNano()
	k, exp, uid := b.quote("key"), b.quote("expires_at"), b.quote("user_id")
	cond, args := b.prefixRange(o.prefix)
	if o.user != "" {
		cond += " AND " + uid + " = ?"
		args = append(args, o.user)
	}
	q := b.query("SELECT " + k + ", " + exp + ", " + uid + " FROM " + b.quote(b.table) + " WHERE 1 = 1" + cond + " ORDER BY " + k)
	rows, err := b.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", b.table, err)
	}
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var (
			e    entry
			ns   int64
			user sql.NullString
		)
		if err := rows.Scan(&e.Key, &ns, &user); err != nil {
			return nil, fmt.Errorf("listing %s: %w", b.table, err)
		}
		e.Expires, e.UserID, e.Expired = time.Unix(0, ns), user.String, ns <= now
		if o.match(e) {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing %s: %w", b.table, err)
	}
	return out, nil
}

// expiredCount counts rows expired at asOf, for the progress line of
// purge-expired.
func (b *sqlBackend) expiredCount(ctx context.Context, asOf time.Time) (int64, error) {
	var n int64
	q := b.query("SELECT COUNT(*) FROM " + b.quote(b.table) + " WHERE " + b.quote("expires_at") + " <= ?")
	err := b.db.QueryRowContext(ctx, q, asOf.UnixNano()).Scan(&n)
	return n, err
}

// ---- Redis ----

type redisBackend struct {
	client redis.UniversalClient
	st     *redisstore.Store
	desc   string
}

// quietRedis drops go-redis' own log lines: they would repeat, on stderr
// and without context, the error sessionctl reports anyway.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func openRedis(ctx context.Context, c redis.UniversalClient, desc string) (backend, error) {
	redis.SetLogger(quietRedis{})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, storeErr(fmt.Errorf("%s: %w", desc, err))
	}
	return &redisBackend{client: c, st: redisstore.New(c), desc: desc}, nil
}

func (b *redisBackend) store() session.Store { return b.st }
func (b *redisBackend) describe() string     { return b.desc }
func (b *redisBackend) nativeTTL() bool      { return true }
func (b *redisBackend) close() error         { return b.client.Close() }
