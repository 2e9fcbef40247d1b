package chaos

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/redis/go-redis/v9"
)

// startCluster starts three masters (no replicas), each with an
// append-only file fsynced at every write, and joins them. A node's
// slots are unavailable while it is down; cluster-require-full-coverage no
// keeps the other two serving theirs meanwhile.
func startCluster(t testing.TB) []*proc {
	t.Helper()
	cli := lookPath(t, "redis-cli")
	var nodes []*proc
	var addrs []string
	for range 3 {
		p := startRedis(t, redisDurable, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no")
		nodes = append(nodes, p)
		addrs = append(addrs, addrOf(p.port))
	}
	run(t, 0, 0, append(append([]string{cli, "--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	for _, a := range addrs {
		waitFor(t, 20*time.Second, "cluster_state:ok on "+a, func() bool { return clusterOK(a) })
	}
	return nodes
}

func clusterOK(addr string) bool {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	info, err := c.ClusterInfo(context.Background()).Result()
	return err == nil && strings.Contains(info, "cluster_state:ok")
}

func clusterTarget(nodes []*proc) target {
	var addrs []string
	for _, p := range nodes {
		addrs = append(addrs, addrOf(p.port))
	}
	return target{store: "redis cluster (3 masters, AOF fsync always)", durable: true, open: func(t testing.TB) (session.Store, func()) {
		c := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: addrs, DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
			ContextTimeoutEnabled: true, MaxRetries: redisMaxRetries, PoolSize: redisPoolSize, PoolTimeout: redisPoolTimeout,
			DialerRetries: 1,
		})
		return redisstore.New(c), func() { c.Close() }
	}}
}

func TestRedisCluster(t *testing.T) {
	nodes := startCluster(t)
	victim := nodes[1]
	t.Run("kill", func(t *testing.T) {
		runFault(t, clusterTarget(nodes), "SIGKILL + restart of one node", func(t *testing.T, m *marks) {
			killRestart(victim)(t, m)
			// Back means serving its slots again, not only listening.
			waitFor(t, 20*time.Second, "cluster_state:ok after the restart", func() bool { return clusterOK(addrOf(victim.port)) })
			m.back = time.Now()
		})
	})
	t.Run("pause", func(t *testing.T) {
		runFault(t, clusterTarget(nodes), "SIGSTOP "+timings().hold.String()+" + SIGCONT of one node", pauseResume(victim))
	})
}
