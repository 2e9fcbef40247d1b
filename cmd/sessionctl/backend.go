package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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
// needs beyond the Store contract, done the way that backend can do it
// cheaply.
type backend interface {
	store() session.Store
	describe() string
	// nativeTTL reports that the backend deletes expired records itself.
	nativeTTL() bool
	count(ctx context.Context, prefix string) (counts, error)
	// list returns the matching records sorted by key, or errNoListing.
	list(ctx context.Context, o listOpts) ([]entry, error)
	close() error
}

// lister is the listing capability sessionctl asks the stores to add. A
// store that implements it is listed through it.
type lister interface {
	// ListSessions returns the live records whose key starts with prefix.
	ListSessions(ctx context.Context, prefix string) ([]session.SessionInfo, error)
}

// storeOpts are the store flags that shape how a URL is opened.
type storeOpts struct {
	table string // SQL table
	batch int    // SQL sweep batch
}

// openBackend opens raw (a store URL). Bad URLs are usage errors; failures
// to reach the store are store errors.
func openBackend(ctx context.Context, raw string, o storeOpts) (backend, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return nil, usageErr("store URL %q has no scheme; want memory:, file:DIR, sqlite:FILE, postgres://, mysql://, redis:// or redis+cluster://", raw)
	}
	switch strings.ToLower(scheme) {
	case "memory", "mem":
		return &memBackend{st: memstore.New()}, nil
	case "file":
		return openFile(localPath(rest))
	case "sqlite", "sqlite3":
		return openSQLite(ctx, localPath(rest), o)
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
	return nil, usageErr("unknown store URL scheme %q; want memory:, file:, sqlite:, postgres:, mysql:, redis: or redis+cluster:", scheme)
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

func (b *memBackend) count(ctx context.Context, prefix string) (counts, error) {
	if l, ok := any(b.st).(lister); ok {
		infos, err := l.ListSessions(ctx, prefix)
		if err != nil {
			return counts{}, err
		}
		return counts{known: true, total: int64(len(infos)), expired: -1, what: "live records"}, nil
	}
	return counts{}, nil
}

func (b *memBackend) list(ctx context.Context, o listOpts) ([]entry, error) {
	return listThrough(ctx, b.st, o)
}

// listThrough lists a store through lister, or through UserIndex when only
// one user's sessions are wanted.
func listThrough(ctx context.Context, st session.Store, o listOpts) ([]entry, error) {
	var (
		infos []session.SessionInfo
		err   error
	)
	if l, ok := st.(lister); ok {
		infos, err = l.ListSessions(ctx, o.prefix)
	} else if ui, ok := st.(session.UserIndex); ok && o.user != "" {
		infos, err = ui.UserSessions(ctx, o.user)
	} else {
		return nil, errNoListing
	}
	if err != nil {
		return nil, err
	}
	return fromInfos(infos, o), nil
}

func fromInfos(infos []session.SessionInfo, o listOpts) []entry {
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

// recordFiles returns the names of the record files: 64 hex digits, the
// SHA-256 of the key (see the filestore package documentation).
func (b *fileBackend) recordFiles() ([]string, error) {
	des, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		if isHexName(de.Name()) && de.Type().IsRegular() {
			names = append(names, de.Name())
		}
	}
	return names, nil
}

func isHexName(name string) bool {
	if len(name) != 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (b *fileBackend) count(ctx context.Context, prefix string) (counts, error) {
	if prefix != "" {
		// File names are hashes: a prefix means reading every file.
		es, err := b.list(ctx, listOpts{prefix: prefix, all: true})
		if err != nil {
			return counts{}, err
		}
		c := counts{known: true, total: int64(len(es)), what: "record files"}
		for _, e := range es {
			if e.Expired {
				c.expired++
			}
		}
		return c, nil
	}
	names, err := b.recordFiles()
	if err != nil {
		return counts{}, err
	}
	return counts{known: true, total: int64(len(names)), expired: -1, what: "record files (expired ones included until purge-expired)"}, nil
}

func (b *fileBackend) list(ctx context.Context, o listOpts) ([]entry, error) {
	if _, ok := any(b.st).(lister); ok && !o.all {
		return listThrough(ctx, b.st, o)
	}
	names, err := b.recordFiles()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []entry
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := readRecordHeader(filepath.Join(b.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		e.Expired = !e.Expires.After(now)
		if o.match(e) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// readRecordHeader reads the key, owner and expiry of a filestore record
// file, following the format documented in filestore (magic "FGS1",
// big-endian header, CRC-32C trailer). It is a stopgap until filestore can
// list its records itself.
func readRecordHeader(path string) (entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return entry{}, err
	}
	return parseRecordHeader(b)
}

func parseRecordHeader(b []byte) (entry, error) {
	const header, sum = 28, 4
	if len(b) < header+sum || string(b[:4]) != "FGS1" {
		return entry{}, errors.New("not a filestore record (bad magic or too short)")
	}
	u := int(binary.BigEndian.Uint16(b[20:]))
	k := int(binary.BigEndian.Uint16(b[22:]))
	d := uint64(binary.BigEndian.Uint32(b[24:]))
	if uint64(len(b)) != uint64(header+u+k+sum)+d {
		return entry{}, errors.New("corrupt filestore record (length mismatch)")
	}
	body := b[:len(b)-sum]
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(b[len(body):]) {
		return entry{}, errors.New("corrupt filestore record (checksum mismatch)")
	}
	return entry{
		Key:     string(b[header+u : header+u+k]),
		UserID:  string(b[header : header+u]),
		Expires: time.Unix(0, int64(binary.BigEndian.Uint64(b[12:]))),
	}, nil
}

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
	if o.batch > 0 {
		opts = append(opts, sqlstore.WithSweepBatch(o.batch))
	}
	st, err := sqlstore.New(db, d, opts...)
	if err != nil {
		db.Close()
		return nil, usageErr("%v", err)
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

func (b *sqlBackend) list(ctx context.Context, o listOpts) ([]entry, error) {
	now := time.Now().UnixNano()
	k, exp, uid := b.quote("key"), b.quote("expires_at"), b.quote("user_id")
	cond, args := b.prefixRange(o.prefix)
	if o.user != "" {
		cond += " AND " + uid + " = ?"
		args = append(args, o.user)
	}
	if !o.all {
		cond += " AND " + exp + " > ?"
		args = append(args, now)
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

// globEscape escapes the glob characters of SCAN MATCH.
func globEscape(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// scan calls fn with every key that starts with prefix, on every primary of
// a cluster. fn may be called concurrently for different nodes.
func (b *redisBackend) scan(ctx context.Context, prefix string, fn func(keys []string)) error {
	match := globEscape(prefix) + "*"
	scanOne := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, match, 1000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				fn(keys)
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	if cc, ok := b.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scanOne(ctx, c) })
	}
	return scanOne(ctx, b.client)
}

func (b *redisBackend) count(ctx context.Context, prefix string) (counts, error) {
	var (
		mu sync.Mutex
		n  int64
	)
	err := b.scan(ctx, prefix, func(keys []string) {
		mu.Lock()
		n += int64(len(keys))
		mu.Unlock()
	})
	if err != nil {
		return counts{}, fmt.Errorf("SCAN: %w", err)
	}
	return counts{known: true, total: n, expired: 0, what: fmt.Sprintf("keys matching %q (Redis expires records itself)", prefix+"*")}, nil
}

func (b *redisBackend) list(ctx context.Context, o listOpts) ([]entry, error) {
	if o.user != "" {
		infos, err := b.st.UserSessions(ctx, o.user)
		if err != nil {
			return nil, err
		}
		return fromInfos(infos, o), nil
	}
	var (
		mu   sync.Mutex
		keys []string
	)
	if err := b.scan(ctx, o.prefix, func(ks []string) {
		mu.Lock()
		keys = append(keys, ks...)
		mu.Unlock()
	}); err != nil {
		return nil, fmt.Errorf("SCAN: %w", err)
	}
	sort.Strings(keys)
	keys = dedupe(keys) // SCAN may return a key more than once
	// One Load per key gives expiry and owner the way the store sees them;
	// a few in parallel hide the round trips.
	out := make([]entry, len(keys))
	found := make([]bool, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec, err := b.st.Load(ctx, keys[i])
				if errors.Is(err, session.ErrNotFound) || redis.HasErrorPrefix(err, "WRONGTYPE") {
					continue // expired or deleted meanwhile, or not a session
				}
				if err != nil {
					errs[i] = err
					continue
				}
				out[i], found[i] = entry{Key: keys[i], Expires: rec.Expires, UserID: rec.UserID}, true
			}
		}()
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	var res []entry
	for i := range keys {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", keys[i], errs[i])
		}
		if found[i] && o.match(out[i]) {
			res = append(res, out[i])
		}
	}
	return res, nil
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
