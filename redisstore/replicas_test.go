package redisstore

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flaskgo/session"
)

// TestReplicaAcks: with WithReplicaAcks a write succeeds only once a
// replica has it, and fails with ErrNotReplicated, without waiting longer
// than the ack timeout, when no replica acknowledges it (replica stopped).
func TestReplicaAcks(t *testing.T) {
	primaryAddr, stopPrimary, startPrimary := privateRedis(t)
	startPrimary()
	t.Cleanup(stopPrimary)
	replicaAddr, stopReplica, startReplica := privateRedis(t)
	startReplica()
	t.Cleanup(stopReplica)
	ctx := context.Background()
	primary := redis.NewClient(&redis.Options{Addr: primaryAddr})
	replica := redis.NewClient(&redis.Options{Addr: replicaAddr})
	t.Cleanup(func() { primary.Close(); replica.Close() })
	host, port, _ := splitHostPort(t, primaryAddr)
	if err := replica.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for replica.Info(ctx, "replication").Val() == "" || !containsLine(replica.Info(ctx, "replication").Val(), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatal("the replica did not sync")
		}
		time.Sleep(50 * time.Millisecond)
	}

	st := New(primary, WithReplicaAcks(1, 300*time.Millisecond))
	rec := session.Record{Data: []byte("v1"), Expires: time.Now().Add(time.Hour)}
	v, err := st.SaveIfVersion(ctx, "session:acks", rec)
	if err != nil {
		t.Fatalf("SaveIfVersion with a replica attached: %v", err)
	}
	if got, err := replica.Get(ctx, "session:acks").Result(); err != nil || got != "v1" {
		t.Fatalf("the replica has %q, %v right after the acknowledged write", got, err)
	}
	if err := st.Touch(ctx, "session:acks", time.Now().Add(2*time.Hour)); err != nil {
		t.Fatalf("Touch with a replica attached: %v", err)
	}

	// The replica stops answering: writes are no longer acknowledged.
	if err := replica.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name string
		do   func() error
	}{
		{"SaveIfVersion", func() error {
			_, err := st.SaveIfVersion(ctx, "session:acks", session.Record{Data: []byte("v2"), Expires: rec.Expires, Version: v})
			return err
		}},
		{"Save", func() error { return st.Save(ctx, "session:acks2", rec) }},
		{"Touch", func() error { return st.Touch(ctx, "session:acks", time.Now().Add(time.Hour)) }},
		{"Delete", func() error { return st.Delete(ctx, "session:acks") }},
	} {
		start := time.Now()
		err := w.do()
		if !errors.Is(err, ErrNotReplicated) {
			t.Errorf("%s without a replica: %v, want ErrNotReplicated", w.name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s waited %v for acks bounded by 300ms", w.name, d)
		}
	}
	// Loads need no acks.
	if _, err := st.Load(ctx, "session:acks2"); err != nil {
		t.Errorf("Load: %v", err)
	}
	// Through the Manager, an unacknowledged commit is a store error (503).
	m, err := session.New(session.Config{SecretKey: "replica acks test secret key, long enough", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := commitOnce(m)
	if !errors.Is(err, session.ErrStore) || !errors.Is(err, ErrNotReplicated) {
		t.Errorf("Commit without a replica: token %+v, %v; want ErrStore and ErrNotReplicated", tok, err)
	}
}

func commitOnce(m *session.Manager) (session.Token, error) {
	s := m.Open(context.Background(), "")
	s.Set("cart", 1)
	return m.Commit(context.Background(), s)
}

func splitHostPort(t *testing.T, addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port, nil
}

func containsLine(info, line string) bool {
	for _, l := range strings.Split(info, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
