package redisstore_test

// Live interop with Debian's Flask-Session 0.3.2 (SESSION_TYPE="redis",
// pickled values) through a real Redis: the scenario of internal/fsinterop
// with unsigned and signed ids (SESSION_USE_SIGNER), under a key prefix and
// under none (SESSION_KEY_PREFIX = ""). Needs /usr/bin/python3 with
// python3-flask-session and python3-redis.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flaskgo/session/internal/fsinterop"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/redisstore"
)

func fsRedisAddr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// fsInteropDB holds the interop cases' keys, apart from the other tests'
// (which use "session:" too): keys are prefix + a fresh random id, and each
// case deletes the ones it wrote.
const fsInteropDB = 9

func TestFlaskSessionInterop(t *testing.T) {
	for _, signed := range []bool{false, true} {
		for _, noPrefix := range []bool{false, true} {
			name := fmt.Sprintf("signed=%v/no-prefix=%v", signed, noPrefix)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				prefix := "session:" // Flask-Session's default
				if noPrefix {
					prefix = ""
				}
				db := fsInteropDB
				rdb := redis.NewClient(&redis.Options{Addr: fsRedisAddr(), DB: db, DialTimeout: 2 * time.Second})
				t.Cleanup(func() { rdb.Close() })
				ctx := context.Background()
				if err := rdb.Ping(ctx).Err(); err != nil {
					testenv.Unavailable(t, "Redis at %s unreachable: %v", fsRedisAddr(), err)
				}
				var written []string
				t.Cleanup(func() {
					if len(written) > 0 {
						rdb.Del(ctx, written...)
					}
				})
				fsinterop.Start(t, fsinterop.Backend{
					PeerArgs: []string{"--type", "redis", "--redis", fmt.Sprintf("%s/%d", fsRedisAddr(), db)},
					Imports:  []string{"redis"},
					Store:    redisstore.New(rdb),
					Raw: func(t *testing.T, key string) ([]byte, bool) {
						written = append(written, key)
						b, err := rdb.Get(ctx, key).Bytes()
						if errors.Is(err, redis.Nil) {
							return nil, false
						}
						if err != nil {
							t.Fatalf("GET %s: %v", key, err)
						}
						return b, true
					},
				}, fsinterop.Options{Signed: signed, Prefix: prefix}).Run(t)
			})
		}
	}
}
