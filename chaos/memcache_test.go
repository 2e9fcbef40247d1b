package chaos

import (
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memcachestore"
)

// Recommended gomemcache settings: the client takes no context, so its own
// Timeout is the bound on a call (keep it at or below Config.StoreTimeout);
// MaxIdleConns as large as the concurrency, or every burst dials anew.
const (
	memcacheTimeout  = 300 * time.Millisecond
	memcacheMaxIdle  = 32
	memcacheMemoryMB = "64"
)

func startMemcached(t testing.TB) *proc {
	t.Helper()
	bin := lookPath(t, "memcached")
	port := freePort(t)
	p := &proc{name: "memcached:" + strconv.Itoa(port), port: port, argv: []string{bin,
		"-p", strconv.Itoa(port), "-l", "127.0.0.1", "-U", "0", "-m", memcacheMemoryMB, "-u", "root", "-c", "1024"}}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// memcacheTarget: memcached keeps everything in memory, so a kill loses
// every session by design (reported as forgotten, not as a failure); a
// pause loses nothing.
func memcacheTarget(p *proc, durable bool) target {
	return target{store: "memcached", durable: durable, open: func(t testing.TB) (session.Store, func()) {
		c := memcache.New(addrOf(p.port))
		c.Timeout = memcacheTimeout
		c.MaxIdleConns = memcacheMaxIdle
		return memcachestore.New(c), func() { _ = c.Close() }
	}}
}

func TestMemcached(t *testing.T) {
	p := startMemcached(t)
	t.Run("kill", func(t *testing.T) { runFault(t, memcacheTarget(p, false), "SIGKILL + restart", killRestart(p)) })
	t.Run("pause", func(t *testing.T) { runFault(t, memcacheTarget(p, true), pauseName(), pauseResume(p)) })
}
