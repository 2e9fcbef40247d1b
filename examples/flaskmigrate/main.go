// Command flaskmigrate is the Go half of a Flask application being moved
// to Go route by route. It listens in front of the Flask app, serves the
// routes under /go/ itself and proxies every other path to Flask; both read
// and write one session, under one cookie and one secret key. See
// README.md and docs/migrating-from-flask.md.
//
//	flaskmigrate -flask http://127.0.0.1:5000 [-listen 127.0.0.1:8000] [-store cookie|redis://...|sqlite:FILE|postgres://...]
//
// The secret key comes from $FLASK_SECRET_KEY (the Flask app's SECRET_KEY).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8000", "address to serve on")
	flaskURL := flag.String("flask", "http://127.0.0.1:5000", "the Flask app's base URL")
	store := flag.String("store", "cookie", `"cookie" (Flask's signed cookie) or the Flask-Session store: redis://host:port/db, sqlite:FILE or postgres://...`)
	prefix := flag.String("key-prefix", "session:", "Flask-Session's SESSION_KEY_PREFIX")
	table := flag.String("table", "sessions", "Flask-Session's SESSION_SQLALCHEMY_TABLE")
	flag.Parse()
	sc := storeConfig{spec: *store, prefix: *prefix, table: *table, secret: os.Getenv("FLASK_SECRET_KEY")}
	if err := run(*listen, *flaskURL, sc); err != nil {
		fmt.Fprintln(os.Stderr, "flaskmigrate:", err)
		os.Exit(1)
	}
}

func run(listen, flaskURL string, sc storeConfig) error {
	upstream, err := url.Parse(flaskURL)
	if err != nil || upstream.Host == "" {
		return fmt.Errorf("-flask %q: not an absolute URL", flaskURL)
	}
	m, closeStore, err := sc.manager()
	if err != nil {
		return err
	}
	defer closeStore()
	srv := &http.Server{Addr: listen, Handler: newService(upstream, m), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("serving", "listen", listen, "flask", flaskURL, "store", redactURL(sc.spec))
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// storeConfig says where the Flask app keeps its sessions.
type storeConfig struct {
	spec   string // "cookie", or a Flask-Session store URL
	prefix string // SESSION_KEY_PREFIX ("" for none)
	table  string // SESSION_SQLALCHEMY_TABLE
	secret string // the Flask app's SECRET_KEY
}

// manager builds the session.Manager that matches the Flask app's session
// settings: Flask's own cookie, or Flask-Session with SESSION_USE_SIGNER,
// SESSION_PERMANENT (its default) and pickled values (0.3–0.6).
func (sc storeConfig) manager() (*session.Manager, func() error, error) {
	if sc.secret == "" {
		return nil, nil, errors.New("no secret key: set FLASK_SECRET_KEY to the Flask app's SECRET_KEY")
	}
	cfg := session.Config{SecretKey: sc.secret}
	closeStore := func() error { return nil }
	switch {
	case sc.spec == "cookie":
	case strings.HasPrefix(sc.spec, "redis://"):
		opt, err := redis.ParseURL(sc.spec)
		if err != nil {
			return nil, nil, fmt.Errorf("-store: %w", err)
		}
		rdb := redis.NewClient(opt)
		closeStore = rdb.Close
		cfg.Store = redisstore.New(rdb)
	case strings.HasPrefix(sc.spec, "sqlite:"), strings.HasPrefix(sc.spec, "postgres://"):
		driver, dsn, dialect := "pgx", sc.spec, sqlstore.Postgres
		if file, ok := strings.CutPrefix(sc.spec, "sqlite:"); ok {
			driver, dsn, dialect = "sqlite", "file:"+file+"?_pragma=busy_timeout(5000)", sqlstore.SQLite
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("-store: %w", err)
		}
		closeStore = db.Close
		st, err := sqlstore.New(db, dialect, sqlstore.WithFlaskSessionLayout(), sqlstore.WithTable(sc.table))
		if err != nil {
			_ = db.Close()
			return nil, nil, err
		}
		cfg.Store = st // the Flask app creates the table (db.create_all)
	default:
		return nil, nil, fmt.Errorf("-store %q: want cookie, redis://, sqlite: or postgres://", redactURL(sc.spec))
	}
	if cfg.Store != nil {
		cfg.PlainStoreKeys = true // Flask-Session's keys: prefix + the id
		cfg.SignIDs = true
		cfg.Permanent = true
		cfg.Serializer = flasksession.Pickle{}
		cfg.KeyPrefix, cfg.NoKeyPrefix = sc.prefix, sc.prefix == ""
	}
	m, err := session.New(cfg)
	if err != nil {
		_ = closeStore()
		return nil, nil, err
	}
	return m, closeStore, nil
}
