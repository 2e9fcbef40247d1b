package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/redis/go-redis/v9"
)

const sentinelMaster = "chaos"

// sentinelSet is a primary, a replica and three sentinels watching them.
type sentinelSet struct {
	primary, replica *proc
	sentinels        []*proc
}

func (s *sentinelSet) sentinelAddrs() []string {
	var a []string
	for _, p := range s.sentinels {
		a = append(a, addrOf(p.port))
	}
	return a
}

// startSentinels starts the set: the primary and the replica with an
// append-only file fsynced at every write (a restarted node keeps its
// data), sentinels with a quorum of 2 and a 1 s down-after.
// extra are more arguments for both Redis nodes.
func startSentinels(t testing.TB, extra ...string) *sentinelSet {
	t.Helper()
	bin := lookPath(t, "redis-sentinel")
	s := &sentinelSet{primary: startRedis(t, redisDurable, extra...)}
	s.replica = startRedis(t, redisDurable, append(extra, "--replicaof", "127.0.0.1", strconv.Itoa(s.primary.port))...)
	waitFor(t, 20*time.Second, "replica in sync", func() bool {
		return redisInfo(addrOf(s.replica.port), "replication", "master_link_status") == "up"
	})
	for range 3 {
		port := freePort(t)
		conf := filepath.Join(t.TempDir(), "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\nlogfile \"\"\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %[2]s 1000\n"+
			"sentinel failover-timeout %[2]s 10000\nsentinel parallel-syncs %[2]s 1\n",
			port, sentinelMaster, s.primary.port)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		p := &proc{name: "redis-sentinel:" + strconv.Itoa(port), port: port, argv: []string{bin, conf}}
		p.start(t)
		t.Cleanup(p.stop)
		s.sentinels = append(s.sentinels, p)
	}
	// A failover needs every sentinel to know the replica and the others.
	for _, a := range s.sentinelAddrs() {
		waitFor(t, 30*time.Second, "sentinel "+a+" sees the replica and the other sentinels", func() bool {
			c := redis.NewSentinelClient(&redis.Options{Addr: a, DialTimeout: time.Second})
			defer c.Close()
			ctx := context.Background()
			reps, err1 := c.Replicas(ctx, sentinelMaster).Result()
			sens, err2 := c.Sentinels(ctx, sentinelMaster).Result()
			return err1 == nil && err2 == nil && len(reps) == 1 && len(sens) == 2
		})
	}
	return s
}

// primaryPort asks a sentinel which port the primary is on now.
func (s *sentinelSet) primaryPort() int {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.sentinelAddrs()[0], DialTimeout: time.Second})
	defer c.Close()
	addr, err := c.GetMasterAddrByName(context.Background(), sentinelMaster).Result()
	if err != nil || len(addr) != 2 {
		return 0
	}
	port, _ := strconv.Atoi(addr[1])
	return port
}

// sentinelTarget is a Store on a failover client. Replication is
// asynchronous: a write the primary acknowledged and had not yet sent to
// the replica is lost when the replica is promoted, so this target is not
// "durable" across a failover, and such losses are reported as such.
func sentinelTarget(name string, s *sentinelSet, opts ...redisstore.Option) target {
	return target{store: name, forgetting: "ACKNOWLEDGED, lost with the failover (async replication)", open: func(t testing.TB) (session.Store, func()) {
		c := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: sentinelMaster, SentinelAddrs: s.sentinelAddrs(),
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
			ContextTimeoutEnabled: true, MaxRetries: redisMaxRetries, PoolSize: redisPoolSize, PoolTimeout: redisPoolTimeout,
			DialerRetries: 1,
		})
		return redisstore.New(c, opts...), func() { c.Close() }
	}}
}

// sentinelAckedTarget is sentinelTarget with every write waiting for the
// replica's acknowledgement (redisstore.WithReplicaAcks): a write the
// failover would drop is answered 503 instead of 200, so an acknowledged
// write is never lost and the target is durable across a failover.
func sentinelAckedTarget(name string, s *sentinelSet) target {
	tg := sentinelTarget(name, s, redisstore.WithReplicaAcks(1, 200*time.Millisecond))
	tg.durable, tg.forgetting = true, ""
	// Writes succeed again only once the old primary has rejoined as the
	// new one's replica and resynced: measured 14.8 s after a failover.
	tg.recover = 45 * time.Second
	return tg
}

// waitReplicaInSync waits until the node that is not the primary replicates
// from it again (after a failover the old primary rejoins as a replica).
func (s *sentinelSet) waitReplicaInSync(t *testing.T) {
	t.Helper()
	waitFor(t, 30*time.Second, "the old primary in sync as a replica", func() bool {
		for _, p := range []*proc{s.primary, s.replica} {
			if p.port != s.primaryPort() && redisInfo(addrOf(p.port), "replication", "master_link_status") != "up" {
				return false
			}
		}
		return true
	})
}

// waitSwitched waits for the sentinels to name a new primary and for it to
// accept writes.
func (s *sentinelSet) waitSwitched(t testing.TB, old int) {
	t.Helper()
	waitFor(t, 30*time.Second, "failover to the replica", func() bool {
		p := s.primaryPort()
		return p != 0 && p != old && redisInfo(addrOf(p), "replication", "role") == "master"
	})
}

const sentinelName = "redis sentinel (1 primary, 1 replica, 3 sentinels)"

// failover asks a sentinel for a failover; recovery counts all of it.
func (s *sentinelSet) failover(t *testing.T, m *marks) {
	old := s.primaryPort()
	c := redis.NewSentinelClient(&redis.Options{Addr: s.sentinelAddrs()[0], DialTimeout: time.Second})
	defer c.Close()
	m.start = time.Now()
	if err := c.Failover(context.Background(), sentinelMaster).Err(); err != nil {
		t.Fatal(err)
	}
	m.back = m.start
	s.waitSwitched(t, old)
}

func TestRedisSentinel(t *testing.T) {
	s := startSentinels(t)
	t.Run("failover", func(t *testing.T) { runFault(t, sentinelTarget(sentinelName, s), "SENTINEL FAILOVER", s.failover) })
	t.Run("failover-acked", func(t *testing.T) {
		s.waitReplicaInSync(t)
		runFault(t, sentinelAckedTarget(sentinelName+", WithReplicaAcks(1)", s), "SENTINEL FAILOVER", s.failover)
	})
	t.Run("kill-primary", func(t *testing.T) {
		// After a failover the old primary replicates from the new one;
		// wait for that before killing the primary again.
		s.waitReplicaInSync(t)
		runFault(t, sentinelTarget(sentinelName, s), "SIGKILL of the primary", func(t *testing.T, m *marks) {
			old := s.primaryPort()
			victim := s.primary
			if victim.port != old {
				victim = s.replica
			}
			m.start = time.Now()
			victim.kill(t)
			m.back = m.start
			s.waitSwitched(t, old)
		})
	})
}
