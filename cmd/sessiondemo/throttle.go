package main

import (
	"context"
	"math"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// bucketPolicy is a token bucket: burst attempts at once, then one more
// every refill.
type bucketPolicy struct {
	burst  float64
	refill time.Duration
}

var (
	// accountPolicy limits failed logins per account name: 5 quick tries,
	// then one every 30 s (at most 120 guesses an hour). Successful logins
	// give their token back, so the owner is not locked out by their own
	// logins.
	accountPolicy = bucketPolicy{burst: 5, refill: 30 * time.Second}
	// clientPolicy limits every login attempt per client address (IPv4, or
	// an IPv6 /64): 20 at once, then one every 6 s.
	clientPolicy = bucketPolicy{burst: 20, refill: 6 * time.Second}
)

// maxBuckets bounds each table of buckets; a flood of made-up names or
// addresses evicts buckets instead of growing the table. (Eviction forgets
// some throttling state; the per-client bucket keeps a flood from one
// address slow regardless.)
const maxBuckets = 10_000

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// buckets is one table of token buckets, keyed by account or client.
type buckets struct {
	policy bucketPolicy
	m      map[string]*bucket
}

// get returns key's bucket refilled up to now, creating a full one if
// needed.
func (bs *buckets) get(key string, now time.Time) *bucket {
	b, ok := bs.m[key]
	if !ok {
		if len(bs.m) >= maxBuckets {
			bs.evict(now)
		}
		b = &bucket{tokens: bs.policy.burst, at: now}
		bs.m[key] = b
		return b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(bs.policy.burst, b.tokens+float64(d)/float64(bs.policy.refill))
		b.at = now
	}
	return b
}

// evict drops the buckets that have refilled (they hold no information)
// and, if that is not enough, a tenth of the table chosen at random (map
// order), so that a flood costs amortised constant work per new key.
func (bs *buckets) evict(now time.Time) {
	for k, b := range bs.m {
		if b.tokens+float64(now.Sub(b.at))/float64(bs.policy.refill) >= bs.policy.burst {
			delete(bs.m, k)
		}
	}
	for k := range bs.m {
		if len(bs.m) < maxBuckets*9/10 {
			break
		}
		delete(bs.m, k)
	}
}

// wait is how long until b holds a whole token.
func (bs *buckets) wait(b *bucket) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(bs.policy.refill))
}

// loginLimiter throttles password checks per account and per client, and
// bounds how many PBKDF2 hashes run at once: each costs tens of
// milliseconds of CPU, so unthrottled logins are a cheap way to slow every
// page down (issue 8, finding 4).
type loginLimiter struct {
	now      func() time.Time
	mu       sync.Mutex
	accounts buckets
	clients  buckets

	// hashing is a semaphore of hash slots.
	hashing chan struct{}
	// queueWait is how long a login waits for a hash slot before it is
	// answered 503.
	queueWait time.Duration
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{
		now:       now,
		accounts:  buckets{policy: accountPolicy, m: map[string]*bucket{}},
		clients:   buckets{policy: clientPolicy, m: map[string]*bucket{}},
		hashing:   make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		queueWait: 2 * time.Second,
	}
}

// allow takes a token from the account's and the client's bucket, or, if
// either is empty, takes none and reports how long to wait.
func (l *loginLimiter) allow(account, client string) (retryAfter time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a, c := l.accounts.get(account, now), l.clients.get(client, now)
	if wait := max(l.accounts.wait(a), l.clients.wait(c)); wait > 0 {
		return wait, false
	}
	a.tokens--
	c.tokens--
	return 0, true
}

// refund gives back the tokens allow took: the account's after a
// successful login, both when no hash ran.
func (l *loginLimiter) refund(account, client string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts.get(account, now)
	a.tokens = math.Min(l.accounts.policy.burst, a.tokens+1)
	if client != "" {
		c := l.clients.get(client, now)
		c.tokens = math.Min(l.clients.policy.burst, c.tokens+1)
	}
}

// hashSlot waits up to queueWait for a hash slot. release must be called
// once the hash is done.
func (l *loginLimiter) hashSlot(ctx context.Context) (release func(), ok bool) {
	t := time.NewTimer(l.queueWait)
	defer t.Stop()
	select {
	case l.hashing <- struct{}{}:
		return func() { <-l.hashing }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// clientKey names the client of r for throttling: its IP address, an IPv6
// address cut to its /64 (one host usually owns a whole /64). The demo
// trusts no proxy header; behind a reverse proxy, take the address from the
// proxy's header instead.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// retrySeconds is d for a Retry-After header: whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
