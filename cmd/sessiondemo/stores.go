package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// errStoreSpec is wrapped by every error about an unusable -store value.
var errStoreSpec = errors.New("invalid store")

// storeKind says where sessions live.
type storeKind int

const (
	kindCookie    storeKind = iota // signed Flask cookie
	kindEncrypted                  // AES-GCM sealed cookie
	kindMemory
	kindFile
	kindSQLite
	kindRedis
	kindPostgres
	kindMySQL
)

// storeSpec is a parsed -store value.
type storeSpec struct {
	kind storeKind
	// arg is the directory, file, URL or DSN the backend is opened with.
	arg string
}

// serverSide reports whether the spec keeps sessions on the server.
func (s storeSpec) serverSide() bool { return s.kind >= kindMemory }

// String describes the spec for logs, errors and page footers. For a URL it
// shows only the scheme, host and database: a password may sit in the user
// info or in a query parameter (?password=, ?passwd=, ?sslpassword=...), and
// neither is ever shown.
func (s storeSpec) String() string {
	switch s.kind {
	case kindCookie:
		return "signed cookie"
	case kindEncrypted:
		return "encrypted cookie"
	case kindMemory:
		return "memory"
	case kindFile:
		return "files in " + s.arg
	case kindSQLite:
		return "SQLite " + s.arg
	case kindRedis, kindPostgres, kindMySQL:
		return redactURL(s.arg)
	}
	return "unknown"
}

// parseStoreSpec reads a -store value:
//
//	cookie | encrypted | memory | file:DIR | sqlite:FILE |
//	redis://host:port[/db] | postgres://... | mysql://user:pass@host:port/db
func parseStoreSpec(spec string) (storeSpec, error) {
	spec = strings.TrimSpace(spec)
	switch strings.ToLower(spec) {
	case "", "cookie":
		return storeSpec{kind: kindCookie}, nil
	case "encrypted":
		return storeSpec{kind: kindEncrypted}, nil
	case "memory":
		return storeSpec{kind: kindMemory}, nil
	}
	scheme, rest, _ := strings.Cut(spec, ":")
	switch strings.ToLower(scheme) {
	case "file", "sqlite":
		if rest == "" || strings.ContainsRune(rest, 0) {
			return storeSpec{}, fmt.Errorf("%w %q: want %s:PATH", errStoreSpec, spec, scheme)
		}
		if strings.EqualFold(scheme, "file") {
			return storeSpec{kind: kindFile, arg: rest}, nil
		}
		return storeSpec{kind: kindSQLite, arg: rest}, nil
	case "redis", "rediss":
		if _, err := redis.ParseURL(spec); err != nil {
			return storeSpec{}, fmt.Errorf("%w %q: %v", errStoreSpec, redactURL(spec), scrub(err, spec))
		}
		return storeSpec{kind: kindRedis, arg: spec}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" {
			return storeSpec{}, fmt.Errorf("%w %q: want postgres://user@host:port/db", errStoreSpec, redactURL(spec))
		}
		return storeSpec{kind: kindPostgres, arg: spec}, nil
	case "mysql", "mariadb":
		if _, err := mysqlDSN(spec); err != nil {
			return storeSpec{}, err
		}
		return storeSpec{kind: kindMySQL, arg: spec}, nil
	}
	return storeSpec{}, fmt.Errorf("%w %q: want cookie, encrypted, memory, file:DIR, sqlite:FILE, redis://…, postgres://… or mysql://…", errStoreSpec, redactURL(spec))
}

// redactURL describes a store URL by its scheme, host and database only,
// for footers, logs and error messages.
func redactURL(spec string) string {
	scheme, _, _ := strings.Cut(spec, ":")
	u, err := url.Parse(spec)
	if err != nil || u.Opaque != "" || u.Host == "" {
		if !strings.ContainsAny(spec, "@?:") {
			return spec // a plain word such as a mistyped mode
		}
		return strings.ToLower(scheme) + "://(not shown)"
	}
	out := u.Scheme + "://" + u.Host
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		out += "/" + db
	}
	return out
}

// urlSecrets returns the passwords a store URL carries (user info and
// query parameters whose name mentions a password), so that they can be
// scrubbed from errors that drivers build.
func urlSecrets(spec string) []string {
	u, err := url.Parse(spec)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
	}
	for k, vs := range u.Query() {
		if k = strings.ToLower(k); strings.Contains(k, "pass") || strings.Contains(k, "pwd") {
			for _, v := range vs {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// scrubbedError is an error whose message has secrets replaced; errors.Is
// and errors.As still see the original.
type scrubbedError struct {
	err     error
	secrets []string
}

func (e *scrubbedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
		// A driver may quote it URL-escaped.
		msg = strings.ReplaceAll(msg, url.QueryEscape(s), "xxxxx")
	}
	return msg
}

func (e *scrubbedError) Unwrap() error { return e.err }

// scrub wraps err so that its message never shows a password of spec.
func scrub(err error, spec string) error {
	if err == nil {
		return nil
	}
	if secrets := urlSecrets(spec); len(secrets) > 0 {
		return &scrubbedError{err: err, secrets: secrets}
	}
	return err
}

// mysqlDSN turns mysql://user:pass@host:port/db?param=v into the DSN of
// github.com/go-sql-driver/mysql. Query parameters are the driver's own
// (tls, timeout, ...), parsed by the driver; parseTime is always on.
func mysqlDSN(spec string) (string, error) {
	u, err := url.Parse(spec)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w %q: want mysql://user:pass@host:port/db", errStoreSpec, redactURL(spec))
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return "", fmt.Errorf("%w %q: the URL names no database (mysql://user@host:3306/DB)", errStoreSpec, redactURL(spec))
	}
	q := u.Query()
	// The driver takes the password only from the user info; accept it as
	// a query parameter too (as pgx does) rather than sending it to the
	// server as a session variable.
	password, _ := u.User.Password()
	for _, k := range []string{"password", "passwd"} {
		if v := q.Get(k); v != "" && password == "" {
			password = v
		}
		q.Del(k)
	}
	q.Set("parseTime", "true")
	c, err := mysql.ParseDSN("/?" + q.Encode())
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", errStoreSpec, redactURL(spec), scrub(err, spec))
	}
	c.Net, c.Addr, c.DBName = "tcp", u.Host, db
	if u.Port() == "" {
		c.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	if u.User != nil {
		c.User = u.User.Username()
	}
	c.Passwd = password
	return c.FormatDSN(), nil
}

// openedStore is a server-side store and what must be released with it.
type openedStore struct {
	store       session.Store // the session store; nil in the cookie modes
	revocations session.Store // the cookie modes' revocation list; nil otherwise
	close       func() error
}

// openStore connects to the backend of spec; for a cookie spec it returns
// no session store but an in-memory revocation list. SQL stores are migrated. Stores without native expiry are swept
// in the background until close.
func openStore(ctx context.Context, spec storeSpec, logger *slog.Logger) (openedStore, error) {
	var (
		st      session.Store
		closers []func() error
	)
	fail := func(err error) (openedStore, error) {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
		return openedStore{}, fmt.Errorf("open %s store: %w", spec, scrub(err, spec.arg))
	}
	switch spec.kind {
	case kindCookie, kindEncrypted:
		// Cookie sessions keep their data in the browser; the server keeps
		// only the revocation list (Config.Revocations) that makes logout
		// and "log out other devices" stick. In memory here: a restart
		// forgets it, which a real deployment would not want.
		m := memstore.New()
		return openedStore{revocations: m, close: m.Close}, nil
	case kindMemory:
		m := memstore.New()
		st, closers = m, append(closers, m.Close)
	case kindFile:
		f, err := filestore.New(spec.arg)
		if err != nil {
			return fail(err)
		}
		st, closers = f, append(closers, f.Close)
	case kindRedis:
		opt, err := redis.ParseURL(spec.arg)
		if err != nil {
			return fail(err)
		}
		boundRedis(opt)
		c := redis.NewClient(opt)
		closers = append(closers, c.Close)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = c.Ping(pctx).Err()
		cancel()
		if err != nil {
			return fail(err)
		}
		st = redisstore.New(c)
	case kindSQLite, kindPostgres, kindMySQL:
		driver, dsn, dialect := "sqlite", spec.arg, sqlstore.SQLite
		switch spec.kind {
		case kindSQLite:
			// The driver reports a missing directory as "out of memory
			// (14)" (SQLITE_CANTOPEN); say what is wrong instead.
			if err := checkSQLiteDir(spec.arg); err != nil {
				return fail(err)
			}
			// WAL and a busy timeout let concurrent requests share the file.
			dsn = "file:" + spec.arg + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
		case kindPostgres:
			driver, dialect = "pgx", sqlstore.Postgres
		case kindMySQL:
			var err error
			if dsn, err = mysqlDSN(spec.arg); err != nil {
				return fail(err)
			}
			driver, dialect = "mysql", sqlstore.MySQL
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, db.Close)
		if spec.kind == kindSQLite {
			// One writer at a time is all SQLite does anyway; a single
			// connection avoids SQLITE_BUSY between the pool's connections.
			db.SetMaxOpenConns(1)
		}
		s, err := sqlstore.New(db, dialect)
		if err != nil {
			return fail(err)
		}
		mctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = s.Migrate(mctx)
		cancel()
		if err != nil {
			return fail(err)
		}
		st = s
	default:
		return fail(errStoreSpec)
	}

	// memstore sweeps itself; the others need someone to call DeleteExpired.
	if sw, ok := st.(session.Sweeper); ok && spec.kind != kindMemory {
		stop := startSweeper(sw, 10*time.Minute, logger)
		closers = append(closers, func() error { stop(); return nil })
	}
	var once sync.Once
	var closeErr error
	return openedStore{store: st, close: func() error {
		once.Do(func() {
			var errs []error
			for i := len(closers) - 1; i >= 0; i-- {
				errs = append(errs, closers[i]())
			}
			closeErr = errors.Join(errs...)
		})
		return closeErr
	}}, nil
}

// checkSQLiteDir reports, in words, why SQLite could not create path: its
// directory is missing or is not a directory.
func checkSQLiteDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist: create it, or pick another path for the database file", dir)
	case err != nil:
		return fmt.Errorf("cannot use directory %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory, not a database file", path)
	}
	return nil
}

// startSweeper deletes expired records every interval until stop is called;
// stop waits for a running sweep to end.
func startSweeper(sw session.Sweeper, interval time.Duration, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, err := sw.DeleteExpired(ctx)
				if err != nil && ctx.Err() == nil {
					logger.Warn("sweeping expired sessions failed", "err", err)
				} else if n > 0 {
					logger.Info("swept expired sessions", "count", n)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// boundRedis applies the go-redis settings of docs/reliability.md where the
// URL left the defaults: go-redis then honours the Manager's StoreTimeout
// (500 ms) instead of waiting its own 3 s read timeout, and a dead server
// fails a request after one short dial instead of five retried ones.
func boundRedis(opt *redis.Options) {
	opt.ContextTimeoutEnabled = true
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 250 * time.Millisecond
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 500 * time.Millisecond
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 500 * time.Millisecond
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = 500 * time.Millisecond
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
}
