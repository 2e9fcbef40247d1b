package memcachestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/bradfitz/gomemcache/memcache"
)

func memcachedAddr() string {
	if a := os.Getenv("MEMCACHED_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:11211"
}

// TestMain keeps the Example (which needs a live memcached and cannot skip
// itself) from failing on a laptop without memcached.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := memcache.New(memcachedAddr()).Ping(); err != nil && !testenv.CI() {
		fmt.Fprintf(os.Stderr, "\n*** memcachestore: memcached at %s unreachable (%v): SKIPPING the Example and every memcached test (start it with scripts/memcached.sh) ***\n\n", memcachedAddr(), err)
		_ = flag.Set("test.skip", "^Example")
	}
	os.Exit(m.Run())
}

// writeCounter counts writes on the client's connections: gomemcache sends
// each command with one flush, so this is the number of round trips.
type writeCounter struct{ n atomic.Int64 }

func (w *writeCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &w.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// newClient returns a client on MEMCACHED_ADDR and the server list it uses
// (so a test can point it elsewhere), or skips.
func newClient(t testing.TB) (*memcache.Client, *memcache.ServerList) {
	t.Helper()
	ss := new(memcache.ServerList)
	if err := ss.SetServers(memcachedAddr()); err != nil {
		testenv.Unavailable(t, "memcached address %q: %v", memcachedAddr(), err)
	}
	c := memcache.NewFromSelector(ss)
	c.Timeout = 2 * time.Second
	if err := c.Ping(); err != nil {
		testenv.Unavailable(t, "memcached at %s unreachable (start it with scripts/memcached.sh): %v", memcachedAddr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ss
}

// randomPrefix returns a fresh key prefix, so tests sharing the server
// never meet (nothing is flushed).
func randomPrefix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "flaskgo-test-" + hex.EncodeToString(b) + ":"
}

func newStore(t testing.TB) (*Store, *memcache.Client, string) {
	t.Helper()
	c, _ := newClient(t)
	p := randomPrefix(t)
	return New(c, WithKeyPrefix(p)), c, p
}
