package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
)

// loginAs posts a login from c and returns the status and Retry-After.
func loginAs(t *testing.T, c *local, name, password string) (int, string) {
	t.Helper()
	w := c.post("/login", url.Values{"username": {name}, "password": {password}})
	return w.Code, w.Header().Get("Retry-After")
}

// TestLoginThrottlePerAccount (issue 8, finding 4): failed logins for one
// account are throttled whatever address they come from; the answer is 429
// with Retry-After, the bucket refills with time, and the owner's
// successful logins do not count.
func TestLoginThrottlePerAccount(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	srv := newTestServer(t, "cookie", withClock(clock.Now))
	attacker := func(i int) *local { return newLocal(t, srv.app, fmt.Sprintf("198.51.100.%d:1", i)) }

	for i := range int(accountPolicy.burst) {
		if code, _ := loginAs(t, attacker(i), "alice", "guess"); code != http.StatusSeeOther {
			t.Fatalf("failed login %d: status %d, want 303 (a flash, not yet throttled)", i+1, code)
		}
	}
	code, retry := loginAs(t, attacker(99), "alice", "guess")
	if code != http.StatusTooManyRequests || retry != "30" {
		t.Fatalf("6th failed login from a new address: status %d, Retry-After %q; want 429, 30", code, retry)
	}
	// The right password does not get through a throttled account either:
	// otherwise the throttle would tell the guesser when they are right.
	if code, _ := loginAs(t, attacker(100), "alice", "wonderland"); code != http.StatusTooManyRequests {
		t.Fatalf("throttled account, right password: status %d, want 429", code)
	}
	// Other accounts are not affected.
	if code, _ := loginAs(t, attacker(101), "bob", "builder"); code != http.StatusSeeOther {
		t.Fatalf("bob while alice is throttled: status %d", code)
	}
	clock.Advance(accountPolicy.refill)
	owner := attacker(200)
	if code, _ := loginAs(t, owner, "alice", "wonderland"); code != http.StatusSeeOther {
		t.Fatalf("after %v: status %d, want 303", accountPolicy.refill, code)
	}
	if !logContains(srv, "login throttled") {
		t.Errorf("the throttled attempts were not logged")
	}

	// Successful logins give their token back: the owner logging in ten
	// times in a row is never throttled.
	clock.Advance(10 * time.Minute)
	for i := range 10 {
		if code, _ := loginAs(t, attacker(i), "bob", "builder"); code != http.StatusSeeOther {
			t.Fatalf("bob's successful login %d: status %d", i+1, code)
		}
	}
}

// TestLoginThrottlePerClient: one address spraying many account names is
// throttled after clientPolicy.burst attempts; another address is not.
func TestLoginThrottlePerClient(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	srv := newTestServer(t, "cookie", withClock(clock.Now))
	sprayer := newLocal(t, srv.app, "[2001:db8:1:2::10]:5555")
	for i := range int(clientPolicy.burst) {
		if code, _ := loginAs(t, sprayer, fmt.Sprintf("user%d", i), "x"); code != http.StatusSeeOther {
			t.Fatalf("attempt %d: status %d", i+1, code)
		}
	}
	// Another address in the same IPv6 /64 is the same client.
	neighbour := newLocal(t, srv.app, "[2001:db8:1:2::99]:5555")
	code, retry := loginAs(t, neighbour, "someone", "x")
	if n, _ := strconv.Atoi(retry); code != http.StatusTooManyRequests || n < 1 || n > int(clientPolicy.refill.Seconds()) {
		t.Fatalf("attempt %d from the same /64: status %d, Retry-After %q; want 429, 1..6", int(clientPolicy.burst)+1, code, retry)
	}
	if code, _ := loginAs(t, newLocal(t, srv.app, "192.0.2.77:1"), "alice", "wonderland"); code != http.StatusSeeOther {
		t.Fatalf("another client: status %d, want 303", code)
	}
	clock.Advance(clientPolicy.refill)
	if code, _ := loginAs(t, sprayer, "bob", "builder"); code != http.StatusSeeOther {
		t.Fatalf("after %v: status %d, want 303", clientPolicy.refill, code)
	}
}

// TestLoginHashSlots: no more password hashes run at once than there are
// slots; a login that finds them all busy for queueWait is answered 503
// with Retry-After and costs no token, and works once a slot frees.
func TestLoginHashSlots(t *testing.T) {
	srv := newTestServer(t, "cookie")
	lim := srv.app.logins
	lim.queueWait = 50 * time.Millisecond
	var held []func()
	for range cap(lim.hashing) {
		release, ok := lim.hashSlot(context.Background())
		if !ok {
			t.Fatal("a free slot was refused")
		}
		held = append(held, release)
	}
	c := newLocal(t, srv.app, "192.0.2.5:1")
	w := c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("all slots busy: status %d, Retry-After %q; want 503, 1", w.Code, w.Header().Get("Retry-After"))
	}
	if len(lim.hashing) != cap(lim.hashing) {
		t.Fatalf("a refused login holds a slot")
	}
	held[0]()
	if code, _ := loginAs(t, c, "alice", "wonderland"); code != http.StatusSeeOther {
		t.Fatalf("with a free slot: status %d, want 303", code)
	}
	if len(lim.hashing) != cap(lim.hashing)-1 {
		t.Fatalf("a finished login did not give its slot back: %d of %d held", len(lim.hashing), cap(lim.hashing))
	}
	for _, r := range held[1:] {
		r()
	}
}

// TestLoginBucketsBounded: a flood of made-up names cannot grow the
// throttle's tables beyond maxBuckets.
func TestLoginBucketsBounded(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	lim := newLoginLimiter(clock.Now)
	for i := range maxBuckets + 5000 {
		lim.allow(fmt.Sprintf("name-%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		clock.Advance(time.Millisecond)
	}
	if n, m := len(lim.accounts.m), len(lim.clients.m); n > maxBuckets || m > maxBuckets {
		t.Fatalf("%d account and %d client buckets, want at most %d each", n, m, maxBuckets)
	}
}

func logContains(srv *testServer, s string) bool {
	return strings.Contains(srv.logs.String(), s)
}
