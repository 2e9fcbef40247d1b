package main

import (
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gomodule/redigo/redis"
	"github.com/gorilla/sessions"
)

func init() { gob.Register(int64(0)) }

// scsApp is alexedwards/scs v2 with its Redis store (redigo pool).
type scsApp struct{ sm *scs.SessionManager }

func newSCS(addr string) (scsApp, func()) {
	pool := &redis.Pool{
		MaxIdle:     64,
		IdleTimeout: time.Minute,
		Dial:        func() (redis.Conn, error) { return redis.Dial("tcp", addr) },
	}
	sm := scs.New()
	sm.Store = redisstore.NewWithPrefix(pool, "bench_helper:scs:")
	return scsApp{sm}, func() { pool.Close() }
}

func (a scsApp) seed(w http.ResponseWriter, r *http.Request, i int64) error {
	ctx := r.Context()
	a.sm.Put(ctx, "_user_id", userID)
	a.sm.Put(ctx, "csrf", csrfToken)
	a.sm.Put(ctx, "theme", "dark")
	a.sm.Put(ctx, "i", i)
	a.sm.Put(ctx, "n", int64(0))
	return nil
}

func (a scsApp) incr(w http.ResponseWriter, r *http.Request) (int64, int64, error) {
	ctx := r.Context()
	n := a.sm.GetInt64(ctx, "n") + 1
	a.sm.Put(ctx, "n", n)
	return a.sm.GetInt64(ctx, "i"), n, nil
}

func (a scsApp) count(r *http.Request) (int64, error) {
	return a.sm.GetInt64(r.Context(), "n"), nil
}

// gorillaApp is gorilla/sessions' CookieStore as documented: HMAC key only,
// gob values.
type gorillaApp struct{ store *sessions.CookieStore }

const gorillaName = "session"

func newGorilla() gorillaApp { return gorillaApp{sessions.NewCookieStore([]byte(secretKey))} }

func (a gorillaApp) seed(w http.ResponseWriter, r *http.Request, i int64) error {
	s, err := a.store.New(r, gorillaName)
	if err != nil && s == nil {
		return err
	}
	s.Values["_user_id"] = userID
	s.Values["csrf"] = csrfToken
	s.Values["theme"] = "dark"
	s.Values["i"] = i
	s.Values["n"] = int64(0)
	return s.Save(r, w)
}

func (a gorillaApp) incr(w http.ResponseWriter, r *http.Request) (int64, int64, error) {
	s, err := a.store.Get(r, gorillaName)
	if err != nil {
		return 0, 0, err
	}
	n, _ := s.Values["n"].(int64)
	i, ok := s.Values["i"].(int64)
	if !ok {
		return 0, 0, errors.New("gorilla: no session")
	}
	n++
	s.Values["n"] = n
	return i, n, s.Save(r, w)
}

func (a gorillaApp) count(r *http.Request) (int64, error) {
	s, err := a.store.Get(r, gorillaName)
	if err != nil {
		return 0, err
	}
	n, ok := s.Values["n"].(int64)
	if !ok {
		return 0, fmt.Errorf("gorilla: no counter")
	}
	return n, nil
}
