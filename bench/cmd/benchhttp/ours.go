package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"
)

// ours is this library behind Manager.Handler, in whatever mode its Config
// selects.
type ours struct{}

func (ours) seed(w http.ResponseWriter, r *http.Request, i int64) error {
	s := session.From(r)
	s.Set("_user_id", userID)
	s.Set("csrf", csrfToken)
	s.Set("theme", "dark")
	s.Set("i", i)
	s.Set("n", int64(0))
	return nil
}

func (ours) incr(w http.ResponseWriter, r *http.Request) (int64, int64, error) {
	s := session.From(r)
	i, err := session.Get[int64](s, "i")
	if err != nil {
		return 0, 0, err
	}
	n, err := session.Update(s, "n", func(old int64) int64 { return old + 1 })
	return i, n, err
}

func (ours) count(r *http.Request) (int64, error) {
	return session.Get[int64](session.From(r), "n")
}

// oursManager returns the middleware of a Manager on store (nil: the signed
// cookie). Refresh is off: a request that only reads a server-side session
// then costs one load and no expiry write, as in scs (which extends a
// session only when it is modified, without IdleTimeout).
func oursManager(store session.Store) (func(http.Handler) http.Handler, error) {
	m, err := session.New(session.Config{
		SecretKey:      secretKey,
		Store:          store,
		KeyPrefix:      "bench_helper:ours:",
		DisableRefresh: true,
	})
	if err != nil {
		return nil, err
	}
	return m.Handler, nil
}

func oursRedis(addr string) (session.Store, func(), error) {
	client := redis.NewClient(&redis.Options{Addr: addr})
	if err := client.Ping(context.Background()).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("redis %s: %w", addr, err)
	}
	return redisstore.New(client), func() { client.Close() }, nil
}

// pgTable is the harness's own table in the shared database.
const pgTable = "bench_helper_sessions"

func oursPostgres(dsn string, conns int) (session.Store, func(), error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	drop := func() { db.ExecContext(ctx, `DROP TABLE IF EXISTS `+pgTable) }
	drop()
	store, err := sqlstore.New(db, sqlstore.Postgres, sqlstore.WithTable(pgTable))
	if err == nil {
		err = store.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	return store, func() { drop(); db.Close() }, nil
}
