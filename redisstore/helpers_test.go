package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/redis/go-redis/v9"
)

func redisAddr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

func clusterAddrs() []string {
	if a := os.Getenv("REDIS_CLUSTER_ADDRS"); a != "" {
		return strings.Split(a, ",")
	}
	return []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"}
}

// TestMain keeps the Example (which needs a live Redis and cannot skip
// itself) from failing on a laptop without Redis.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := ping(redis.NewClient(&redis.Options{Addr: redisAddr(), DialTimeout: time.Second})); err != nil && !testenv.CI() {
		fmt.Fprintf(os.Stderr, "\n*** redisstore: Redis at %s unreachable (%v): SKIPPING the Example and every Redis test ***\n\n", redisAddr(), err)
		_ = flag.Set("test.skip", "^Example")
	}
	os.Exit(m.Run())
}

func ping(c redis.UniversalClient) error {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// rtCounter counts what the client sends: every command or pipeline the
// client processes (one round trip each; the handshake of a new connection
// is not counted) and every write on its
// connections (one per flush, i.e. per network round trip).
type rtCounter struct {
	calls  atomic.Int64
	writes atomic.Int64
}

func (h *rtCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, n: &h.writes}, nil
	}
}

func (h *rtCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			h.calls.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *rtCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if !handshake(c) {
				h.calls.Add(1)
				break
			}
		}
		return next(ctx, cmds)
	}
}

// handshake reports whether cmd is one that go-redis sends on a new
// connection before using it (HELLO, CLIENT SETINFO).
func handshake(cmd redis.Cmder) bool {
	return cmd.Name() == "hello" || cmd.Name() == "client"
}

func (h *rtCounter) reset() { h.calls.Store(0); h.writes.Store(0) }

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// backend is one Redis deployment the tests run against.
type backend struct {
	name    string
	cluster bool
	client  func(t testing.TB, hooks ...redis.Hook) redis.UniversalClient
}

var backends = []backend{
	{name: "single", client: singleClient},
	{name: "cluster", cluster: true, client: clusterClient},
}

// poolSize matches the concurrency of the conformance suites (200
// overlapping requests of one visitor): with go-redis' default of 10 per
// CPU, requests queue for a connection between Load and SaveIfVersion, the
// conflict window grows with the queue, and the Manager runs out of retries.
const poolSize = 200

// singleClient returns a client on REDIS_ADDR (DB 0), closed at cleanup.
func singleClient(t testing.TB, hooks ...redis.Hook) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DialTimeout: 2 * time.Second, PoolSize: poolSize})
	return checked(t, c, "Redis at "+redisAddr(), hooks)
}

// clusterClient returns a client on REDIS_CLUSTER_ADDRS, closed at cleanup.
func clusterClient(t testing.TB, hooks ...redis.Hook) redis.UniversalClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs(), DialTimeout: 2 * time.Second, PoolSize: poolSize})
	return checked(t, c, fmt.Sprintf("Redis Cluster at %v (start it with scripts/redis-cluster.sh)", clusterAddrs()), hooks)
}

// checked returns c after checking that it reaches a working server; hooks
// are added first, so they see every connection.
func checked(t testing.TB, c redis.UniversalClient, what string, hooks []redis.Hook) redis.UniversalClient {
	t.Helper()
	for _, h := range hooks {
		c.AddHook(h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		testenv.Unavailable(t, "%s unreachable: %v", what, err)
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		info, err := cc.ClusterInfo(ctx).Result()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			c.Close()
			testenv.Unavailable(t, "%s not ready: %v %q", what, err, info)
		}
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a fresh random key prefix; every key the test writes
// under it is deleted at cleanup (nothing else in the database is touched).
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := "flaskgo-test-" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { deletePrefix(t, c, p) })
	return p
}

// newStore returns a Store on c whose keys all start with a fresh random
// prefix.
func newStore(t testing.TB, c redis.UniversalClient, opts ...Option) (*Store, string) {
	t.Helper()
	p := testPrefix(t, c)
	opts = append([]Option{WithKeyPrefix(p + "s:"), WithUserIndexPrefix(p + "i:")}, opts...)
	return New(c, opts...), p
}

func deletePrefix(t testing.TB, c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The prefix contains no braces: its keys are spread over every node,
	// so scan each master and delete key by key (no cross-slot DEL).
	scan := func(ctx context.Context, n redis.UniversalClient) error {
		iter := n.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := n.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	switch cc := c.(type) {
	case *redis.ClusterClient:
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	default:
		err = scan(ctx, c)
	}
	if err != nil && err != redis.ErrClosed {
		t.Logf("cleaning up %s*: %v", prefix, err)
	}
}
