package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
	"github.com/redis/go-redis/v9"
)

// lockPrefix returns a fresh key prefix naming this helper's lock tests;
// every key under it is deleted at cleanup.
func lockPrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := "lock-helper-" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { deletePrefix(t, c, p) })
	return p
}

func lockStore(t testing.TB, c redis.UniversalClient, p string) *Store {
	return New(c, WithKeyPrefix(p+"s:"), WithUserIndexPrefix(p+"i:"))
}

func TestLocker(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			janitor := b.client(t)
			storetest.RunLocker(t, func(t *testing.T) session.Store {
				return lockStore(t, b.client(t), lockPrefix(t, janitor))
			})
		})
	}
}

// Two stores on two clients are two processes: the lock excludes across
// them, a holder whose client dies (a crashed process) keeps the lock until
// its TTL, and then the other gets it.
func TestLockAcrossClients(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			janitor := b.client(t)
			p := lockPrefix(t, janitor)
			a, other := lockStore(t, b.client(t), p), lockStore(t, b.client(t), p)
			ctx := context.Background()

			unlock, err := a.Lock(ctx, "k:lock", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			if _, err := other.Lock(short, "k:lock", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Lock held by another client = %v, want DeadlineExceeded", err)
			}
			cancel()
			if err := unlock(ctx); err != nil {
				t.Fatal(err)
			}
			u2, err := other.Lock(ctx, "k:lock", time.Minute)
			if err != nil {
				t.Fatalf("Lock after the other client released it: %v", err)
			}
			if err := u2(ctx); err != nil {
				t.Fatal(err)
			}

			// A crashed holder: its client is gone, its key stays until the TTL.
			crashedClient := b.client(t)
			crashed := lockStore(t, crashedClient, p)
			const ttl = 300 * time.Millisecond
			start := time.Now()
			lost, err := crashed.Lock(ctx, "k:lock", ttl)
			if err != nil {
				t.Fatal(err)
			}
			crashedClient.Close()
			u3, err := other.Lock(ctx, "k:lock", time.Minute)
			if err != nil {
				t.Fatalf("Lock after the crashed holder's TTL: %v", err)
			}
			if took := time.Since(start); took < ttl-50*time.Millisecond {
				t.Errorf("crashed holder's lock (TTL %v) taken after %v", ttl, took)
			}
			if err := lost(ctx); err == nil {
				t.Error("unlock on a closed client reported success")
			}
			if err := u3(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The lock is one key next to the session's keys, carrying the session key
// as its hash tag; ListSessions does not list it; it expires after the TTL;
// an unlock that finds its lock expired says so.
func TestLockLayout(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := b.client(t)
			p := lockPrefix(t, c)
			s := lockStore(t, c, p)
			ctx := context.Background()
			if err := s.Save(ctx, "session:abc", session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			unlock, err := s.Lock(ctx, "session:abc:lock", 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			lk := p + "i:lock:{" + p + "s:session:abc:lock}"
			pttl, err := c.PTTL(ctx, lk).Result()
			if err != nil || pttl <= 0 || pttl > 2*time.Second {
				t.Errorf("PTTL %s = %v, %v; want the 2s TTL", lk, pttl, err)
			}
			if tok, _ := c.Get(ctx, lk).Result(); len(tok) != 32 {
				t.Errorf("lock value %q; want a 32-hex-digit token", tok)
			}
			infos, err := s.ListSessions(ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 || infos[0].Key != "session:abc" {
				t.Errorf("ListSessions = %v; want only the session, not its lock", infos)
			}
			if err := unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if n, _ := c.Exists(ctx, lk).Result(); n != 0 {
				t.Error("lock key still there after unlock")
			}

			expired, err := s.Lock(ctx, "session:abc:lock", 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			if err := expired(ctx); !errors.Is(err, errLockLost) {
				t.Errorf("unlock after the TTL = %v; want errLockLost", err)
			}

			if _, err := s.Lock(ctx, "bad}key", time.Second); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Lock(bad}key) = %v; want ErrInvalidKey", err)
			}
		})
	}
}

// A Redis that cannot be reached fails Lock with the network error as soon
// as the client gives up, not after a wait until the deadline that would
// read as "the session is locked".
func TestLockUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := New(c).Lock(ctx, "k:lock", time.Second)
	if err == nil || ctx.Err() != nil {
		t.Errorf("Lock on an unreachable Redis = %v after %v; want the connection error before the deadline", err, time.Since(start))
	}
}

// BenchmarkLockUnlock measures one free lock taken and released (2 round
// trips).
func BenchmarkLockUnlock(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			c := be.client(b)
			s := lockStore(b, c, lockPrefix(b, c))
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				u, err := s.Lock(ctx, "k:lock", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if err := u(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
