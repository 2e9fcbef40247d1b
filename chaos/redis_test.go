package chaos

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/redis/go-redis/v9"
)

// Recommended go-redis settings for sessions (docs/reliability.md has the
// figures behind them). The store call is bounded by Config.StoreTimeout
// (500 ms); ContextTimeoutEnabled makes go-redis honour that deadline on
// the socket, so a paused server costs the bound, not ReadTimeout.
const (
	redisDialTimeout = 250 * time.Millisecond
	redisIOTimeout   = 500 * time.Millisecond
	redisPoolSize    = 32
	redisPoolTimeout = 500 * time.Millisecond
	redisMaxRetries  = 1
)

func redisOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr: addr, DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		ContextTimeoutEnabled: true, MaxRetries: redisMaxRetries, PoolSize: redisPoolSize, PoolTimeout: redisPoolTimeout,
		DialerRetries: 1, // a refused connection fails at once instead of retrying until the store timeout
	}
}

// quietRedis drops go-redis' own log lines (dial failures while a server
// is down, by design here).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietRedis{}) }

// redisPersistence: none (the default for caches: a kill loses
// everything), or an append-only file fsynced on every write, so that a
// write Redis acknowledged survives SIGKILL.
type redisPersistence bool

const (
	redisVolatile redisPersistence = false
	redisDurable  redisPersistence = true
)

// startRedis starts a private redis-server; extra are more config
// arguments.
func startRedis(t testing.TB, durable redisPersistence, extra ...string) *proc {
	t.Helper()
	bin := lookPath(t, "redis-server")
	port := freePort(t)
	argv := []string{bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
		"--save", "", "--protected-mode", "no", "--logfile", ""}
	if durable {
		argv = append(argv, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		argv = append(argv, "--appendonly", "no")
	}
	p := &proc{name: "redis-server:" + strconv.Itoa(port), argv: append(argv, extra...), port: port}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// redisTarget is a Store on one Redis server.
func redisTarget(name string, p *proc, durable bool) target {
	return target{store: name, durable: durable, open: func(t testing.TB) (session.Store, func()) {
		c := redis.NewClient(redisOptions(addrOf(p.port)))
		return redisstore.New(c), func() { c.Close() }
	}}
}

// killRestart SIGKILLs the server's process group, keeps it down for the
// hold time and starts it again on the same port and data.
func killRestart(p *proc) func(t *testing.T, m *marks) {
	return func(t *testing.T, m *marks) {
		m.start = time.Now()
		p.kill(t)
		time.Sleep(timings().hold)
		p.start(t)
		m.back = time.Now()
	}
}

// pauseResume SIGSTOPs the process group for the hold time, then SIGCONTs it.
func pauseResume(p *proc) func(t *testing.T, m *marks) {
	return func(t *testing.T, m *marks) {
		m.start = time.Now()
		if err := p.signal(sigStop); err != nil {
			t.Fatal(err)
		}
		time.Sleep(timings().hold)
		if err := p.signal(sigCont); err != nil {
			t.Fatal(err)
		}
		m.back = time.Now()
	}
}

func TestRedis(t *testing.T) {
	t.Run("kill", func(t *testing.T) {
		p := startRedis(t, redisDurable)
		runFault(t, redisTarget("redis (AOF, fsync always)", p, true), "SIGKILL + restart", killRestart(p))
	})
	t.Run("kill-volatile", func(t *testing.T) {
		p := startRedis(t, redisVolatile)
		runFault(t, redisTarget("redis (no persistence)", p, false), "SIGKILL + restart", killRestart(p))
	})
	t.Run("pause", func(t *testing.T) {
		p := startRedis(t, redisVolatile)
		runFault(t, redisTarget("redis", p, true), pauseName(), pauseResume(p))
	})
}

// redisInfo returns one field of INFO on addr.
func redisInfo(addr, section, field string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := c.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// waitFor polls cond every 100 ms for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pauseName names the pause fault with its length.
func pauseName() string { return fmt.Sprintf("SIGSTOP %v + SIGCONT", timings().hold) }
