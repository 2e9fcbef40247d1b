package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

var _ session.Locker = (*Store)(nil)

// Backoff of a waiting Lock: it retries SET NX after lockMinWait, doubling
// up to lockMaxWait (each sleep drawn from [d/2, d) so waiters spread).
const (
	lockMinWait = 2 * time.Millisecond
	lockMaxWait = 32 * time.Millisecond
)

// unlockScript deletes the lock KEYS[1] only while it still holds this
// holder's token ARGV[1]; it returns 1 when it deleted it.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// errLockLost is reported by an unlock that found the lock expired (and
// perhaps taken by another): the critical section outlived its TTL.
var errLockLost = errors.New("the lock expired before it was released (held longer than its TTL)")

// Lock implements session.Locker with one Redis key per lock,
// "<index prefix>lock:{<key prefix><key>}", holding a random token:
// SET NX PX ttl takes it, and unlock deletes it only while it still holds
// the token (a Lua compare-and-delete), so a holder whose lock expired never
// releases its successor's. A waiting Lock retries with a bounded backoff
// (2 to 32 ms) until ctx is done. ttl <= 0 means session.DefaultLockTTL.
//
// The lock is one key, so it works unchanged on Redis Cluster (the key
// names its session key as its hash tag, like the owner key). It is as
// reliable as the key: a failover to a replica that had not received the SET
// loses the lock (see the README).
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	lk, err := s.lockKey(key)
	if err != nil {
		return nil, fmt.Errorf("redisstore: lock: %w", err)
	}
	if ttl <= 0 {
		ttl = session.DefaultLockTTL
	}
	ttl = max(ttl, time.Millisecond) // PX takes whole milliseconds
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("redisstore: lock: token: %w", err)
	}
	token := hex.EncodeToString(b[:])
	wait := lockMinWait
	for {
		ok, err := s.client.SetNX(ctx, lk, token, ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				// The SET may have run before the reply was abandoned: drop
				// the lock if it is ours, without holding up the caller.
				go s.abandon(lk, token)
			}
			return nil, fmt.Errorf("redisstore: lock %q: %w", key, err)
		}
		if ok {
			return s.unlocker(lk, key, token), nil
		}
		t := time.NewTimer(wait/2 + mrand.N(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("redisstore: lock %q: %w", key, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockMaxWait)
	}
}

// abandon deletes the lock lk if it holds token: the cleanup of a Lock
// whose context ended while its SET was in flight.
func (s *Store) abandon(lk, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, s.client, []string{lk}, token).Err()
}

// unlocker returns the unlock func of a lock held under lk with token.
// Calls after the first successful one do nothing.
func (s *Store) unlocker(lk, key, token string) func(context.Context) error {
	var (
		mu   sync.Mutex
		done bool
	)
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil
		}
		n, err := unlockScript.Run(ctx, s.client, []string{lk}, token).Int()
		if err != nil {
			// Not done: the caller may retry; else the lock expires by itself.
			return fmt.Errorf("redisstore: unlock %q: %w", key, err)
		}
		done = true
		if n != 1 {
			return fmt.Errorf("redisstore: unlock %q: %w", key, errLockLost)
		}
		return nil
	}
}

// lockKey returns the Redis key of the lock named key.
func (s *Store) lockKey(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	dk := s.prefix + key
	h := hashPart(dk)
	k := s.indexPrefix + "lock:{" + h + "}"
	if h != dk {
		k += dk
	}
	if hashPart(k) != h {
		return "", fmt.Errorf("%w: %q cannot be the hash tag of its lock key (braces in the key or the prefixes)", ErrInvalidKey, dk)
	}
	return k, nil
}
