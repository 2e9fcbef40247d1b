package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

// forEach runs f once per backend (single node, Cluster) as subtests.
func forEach(t *testing.T, f func(t *testing.T, c redis.UniversalClient)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.client(t)) })
	}
}

func TestHashPart(t *testing.T) {
	tests := []struct{ key, want string }{
		{"session:abc", "session:abc"},
		{"", ""},
		{"{user1000}.following", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"},
		{"foo{{bar}}zap", "{bar"},
		{"foo{bar}{zap}", "bar"},
		{"a{b", "a{b"},
		{"a}b{c}", "c"},
		{"{", "{"},
		{"}{x}", "x"},
	}
	for _, tt := range tests {
		if got := hashPart(tt.key); got != tt.want {
			t.Errorf("hashPart(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestOwnerKey(t *testing.T) {
	tests := []struct {
		prefix, key string
		want        string
		wantErr     bool
	}{
		{"flaskgo:", "session:abc", "flaskgo:owner:{session:abc}", false},
		{"", "x", "owner:{x}", false},
		{"p:", "{tag}rest", "p:owner:{tag}{tag}rest", false},
		{"p:", "a{b", "p:owner:{a{b}", false},
		{"p:", "a}b", "", true},  // hashed whole, but contains '}'
		{"p:", "a{}b", "", true}, // empty tag: hashed whole, contains '}'
		{"{p}", "abc", "", true}, // prefix with braces steals the tag
	}
	for _, tt := range tests {
		got, err := ownerKey(tt.prefix, tt.key)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ownerKey(%q, %q) = %q, %v; want %q, error %v", tt.prefix, tt.key, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ownerKey(%q, %q) error %v does not wrap ErrInvalidKey", tt.prefix, tt.key, err)
		}
	}
}

// TestOwnerKeySameSlot asks a real cluster node for the slots, so hashPart
// cannot drift from Redis' own rule.
func TestOwnerKeySameSlot(t *testing.T) {
	c := clusterClient(t)
	ctx := context.Background()
	for _, key := range []string{"session:VGhpcyBpcyBub3QgcmFuZG9t", "s:2b5f-uuid", "{t}x", "a{b", "x{y}z{w}", "z{{q}}"} {
		ok, err := ownerKey(DefaultIndexPrefix, key)
		if err != nil {
			t.Errorf("ownerKey(%q): %v", key, err)
			continue
		}
		a, err1 := c.ClusterKeySlot(ctx, key).Result()
		b, err2 := c.ClusterKeySlot(ctx, ok).Result()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a != b {
			t.Errorf("slot(%q) = %d but slot(%q) = %d", key, a, ok, b)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		tests := []session.Record{
			{Data: []byte("\x81\xa3foo\xa3bar"), Expires: exp, UserID: "alice"},
			{Data: []byte{}, Expires: exp},
			{Data: bytes.Repeat([]byte{0, 0xff, '\r', '\n'}, 5000), Expires: exp, UserID: "ü ser\x00"},
		}
		for i, rec := range tests {
			key := fmt.Sprintf("session:k%d", i)
			if err := s.Save(ctx, key, rec); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got, err := s.Load(ctx, key)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !bytes.Equal(got.Data, rec.Data) || got.UserID != rec.UserID {
				t.Errorf("Load = %q/%q, want %q/%q", got.Data, got.UserID, rec.Data, rec.UserID)
			}
			if d := got.Expires.Sub(rec.Expires); d < -2*time.Millisecond || d > 2*time.Millisecond {
				t.Errorf("Expires = %v, want %v", got.Expires, rec.Expires)
			}
			if got.Version == 0 || got.Version != version(rec.Data) {
				t.Errorf("Version = %x, want %x", got.Version, version(rec.Data))
			}
		}
		if _, err := s.Load(ctx, "session:missing"); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load(missing) error = %v, want ErrNotFound", err)
		}
		if _, err := s.Load(ctx, ""); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Load(\"\") error = %v, want ErrInvalidKey", err)
		}
	})
}

// TestFlaskSessionLayout checks the bytes a Flask-Session process would see,
// and that entries Flask-Session wrote load.
func TestFlaskSessionLayout(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		p := testPrefix(t, c)
		s := New(c, WithKeyPrefix(p), WithUserIndexPrefix(p+"idx:"))
		ctx := context.Background()
		data := []byte("\x82\xaa_permanent\xc3\xa7user_id*")
		exp := time.Now().Add(31 * 24 * time.Hour)
		if err := s.Save(ctx, "session:abc", session.Record{Data: data, Expires: exp, UserID: "42"}); err != nil {
			t.Fatal(err)
		}
		if typ := c.Type(ctx, p+"session:abc").Val(); typ != "string" {
			t.Errorf("TYPE = %q, want string", typ)
		}
		if raw, err := c.Get(ctx, p+"session:abc").Bytes(); err != nil || !bytes.Equal(raw, data) {
			t.Errorf("GET = %q, %v; want the plain data %q", raw, err, data)
		}
		if at := c.PExpireTime(ctx, p+"session:abc").Val(); at != exp.Truncate(time.Millisecond).Sub(time.UnixMilli(0)) {
			t.Errorf("PEXPIRETIME = %v, want %v", at, exp.UnixMilli())
		}
		// What Flask-Session 0.8 does: SET key value EX lifetime.
		if err := c.Set(ctx, p+"session:flask", data, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Load(ctx, "session:flask")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Data, data) || rec.UserID != "" || time.Until(rec.Expires) < 59*time.Minute || time.Until(rec.Expires) > time.Hour {
			t.Errorf("Load(Flask entry) = %+v", rec)
		}
	})
}

// TestVersionMatchesLua pins the Go and Lua version computations together.
func TestVersionMatchesLua(t *testing.T) {
	c := singleClient(t)
	s, _ := newStore(t, c)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		data := make([]byte, i*7)
		rand.Read(data)
		key := fmt.Sprintf("v%d", i)
		exp := time.Now().Add(time.Minute)
		if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: data, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		// Succeeds only if Lua hashes the stored bytes to what Go computes.
		if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("next"), Expires: exp, Version: version(data)}); err != nil {
			t.Fatalf("data %x: %v", data, err)
		}
	}
}

func TestSaveIfVersion(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		const key = "session:cas"
		v1, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("one"), Expires: exp})
		if err != nil || v1 == 0 {
			t.Fatalf("create: %d, %v", v1, err)
		}
		if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("again"), Expires: exp}); !errors.Is(err, session.ErrConflict) {
			t.Errorf("create over existing: %v, want ErrConflict", err)
		}
		v2, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("two"), Expires: exp, Version: v1, UserID: "u"})
		if err != nil || v2 == v1 {
			t.Fatalf("update: %d, %v", v2, err)
		}
		if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("stale"), Expires: exp, Version: v1}); !errors.Is(err, session.ErrConflict) {
			t.Errorf("stale update: %v, want ErrConflict", err)
		}
		rec, err := s.Load(ctx, key)
		if err != nil || string(rec.Data) != "two" || rec.Version != v2 || rec.UserID != "u" {
			t.Errorf("Load = %+v, %v; want two/%d/u", rec, err, v2)
		}
		if _, err := s.SaveIfVersion(ctx, "session:nothing", session.Record{Data: []byte("x"), Expires: exp, Version: v2}); !errors.Is(err, session.ErrConflict) {
			t.Errorf("update of missing: %v, want ErrConflict", err)
		}
	})
}

func TestConcurrentUpdates(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		const key, workers, each = "session:counter", 8, 10
		exp := time.Now().Add(time.Hour)
		if err := s.Save(ctx, key, session.Record{Data: []byte(""), Expires: exp}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					for {
						rec, err := s.Load(ctx, key)
						if err != nil {
							errs <- err
							return
						}
						rec.Data = append(rec.Data, byte('a'+w))
						if _, err = s.SaveIfVersion(ctx, key, rec); err == nil {
							break
						} else if !errors.Is(err, session.ErrConflict) {
							errs <- err
							return
						}
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rec, err := s.Load(ctx, key)
		if err != nil || len(rec.Data) != workers*each {
			t.Fatalf("after %d updates: %d bytes, %v", workers*each, len(rec.Data), err)
		}
	})
}

func TestExpiry(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		exp := time.Now().Add(300 * time.Millisecond)
		if err := s.Save(ctx, "short", session.Record{Data: []byte("x"), Expires: exp, UserID: "u"}); err != nil {
			t.Fatal(err)
		}
		// A loaded machine may need longer than the TTL to get here.
		if _, err := s.Load(ctx, "short"); err != nil && time.Until(exp) > 50*time.Millisecond {
			t.Fatalf("Load before expiry: %v", err)
		}
		time.Sleep(time.Until(exp) + 50*time.Millisecond)
		if _, err := s.Load(ctx, "short"); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load after expiry: %v, want ErrNotFound", err)
		}
		for name, exp := range map[string]time.Time{"past": time.Now().Add(-time.Second), "zero": {}} {
			if err := s.Save(ctx, "dead", session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, "dead", session.Record{Data: []byte("x"), Expires: exp, UserID: "u"}); err != nil {
				t.Fatalf("%s: Save: %v", name, err)
			}
			if _, err := s.Load(ctx, "dead"); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("%s: Load: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestTouch(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, p := newStore(t, c)
		ctx := context.Background()
		const key = "session:t"
		if err := s.Save(ctx, key, session.Record{Data: []byte("d"), Expires: time.Now().Add(time.Minute), UserID: "tina"}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Load(ctx, key)
		later := time.Now().Add(48 * time.Hour)
		if err := s.Touch(ctx, key, later); err != nil {
			t.Fatal(err)
		}
		after, err := s.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if after.Version != before.Version || string(after.Data) != "d" || after.UserID != "tina" {
			t.Errorf("Touch changed the record: %+v -> %+v", before, after)
		}
		if d := after.Expires.Sub(later); d < -2*time.Millisecond || d > 2*time.Millisecond {
			t.Errorf("Expires after Touch = %v, want %v", after.Expires, later)
		}
		// The owner key and the user set must live as long as the session.
		for _, k := range []string{p + "i:owner:{" + p + "s:" + key + "}", p + "i:user:tina"} {
			if ttl := c.PTTL(ctx, k).Val(); ttl < 47*time.Hour {
				t.Errorf("PTTL(%s) = %v after Touch, want ~48h", k, ttl)
			}
		}
		if err := s.Touch(ctx, "session:none", later); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Touch(missing) = %v, want ErrNotFound", err)
		}
	})
}

func keysOf(infos []session.RecordInfo) []string {
	var ks []string
	for _, i := range infos {
		ks = append(ks, i.Key)
	}
	sort.Strings(ks)
	return ks
}

func TestUserIndex(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, p := newStore(t, c)
		ctx := context.Background()
		hour := time.Now().Add(time.Hour)
		save := func(key, user string, exp time.Time) {
			t.Helper()
			if err := s.Save(ctx, key, session.Record{Data: []byte(key), Expires: exp, UserID: user}); err != nil {
				t.Fatal(err)
			}
		}
		want := func(user string, keys ...string) {
			t.Helper()
			infos, err := s.UserSessions(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(infos); strings.Join(got, ",") != strings.Join(keys, ",") {
				t.Errorf("UserSessions(%q) = %v, want %v", user, got, keys)
			}
			for _, i := range infos {
				if i.UserID != user || time.Until(i.Expires) <= 0 {
					t.Errorf("bad info %+v", i)
				}
			}
		}
		save("a1", "alice", hour)
		save("a2", "alice", hour.Add(time.Hour))
		save("a3", "alice", hour)
		save("b1", "bob", hour)
		save("anon", "", hour)
		want("alice", "a1", "a2", "a3")
		want("bob", "b1")
		// The user set lives as long as the newest session, not shorter.
		if ttl := c.PTTL(ctx, p+"i:user:alice").Val(); ttl < 119*time.Minute {
			t.Errorf("user set PTTL = %v, want ~2h", ttl)
		}

		// Stale members stay in the set until their recorded expiry, but are
		// never listed.
		save("a3", "bob", hour) // handed to another user
		want("alice", "a1", "a2")
		want("bob", "a3", "b1")
		save("a2", "", hour) // logged out, session kept
		want("alice", "a1")
		if err := s.Delete(ctx, "b1"); err != nil {
			t.Fatal(err)
		}
		want("bob", "a3")
		// A write that lost records its key in the set: still not listed.
		if _, err := s.SaveIfVersion(ctx, "anon", session.Record{Data: []byte("x"), Expires: hour, UserID: "alice", Version: 1}); !errors.Is(err, session.ErrConflict) {
			t.Fatalf("SaveIfVersion with a wrong version: %v", err)
		}
		want("alice", "a1")
		// Touching to a shorter expiry never lowers the recorded one.
		if err := s.Touch(ctx, "a1", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if score := c.ZScore(ctx, p+"i:user:alice", "a1").Val(); int64(score) < hour.UnixMilli() {
			t.Errorf("recorded expiry of a1 = %v, want at least %v", int64(score), hour.UnixMilli())
		}
		save("a1", "alice", hour)

		save("a4", "alice", time.Now().Add(100*time.Millisecond))
		save("a5", "alice", hour)
		save("a6", "alice", hour)
		time.Sleep(300 * time.Millisecond) // a4 is recorded until twice its lifetime
		want("alice", "a1", "a5", "a6")
		if err := c.ZScore(ctx, p+"i:user:alice", "a4").Err(); err != redis.Nil {
			t.Errorf("expired a4 not pruned from the set: %v", err)
		}
		n, err := s.DeleteUserSessions(ctx, "alice", "a5")
		if err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		want("alice", "a5")
		for _, k := range []string{"a1", "a6"} {
			if _, err := s.Load(ctx, k); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Load(%s) after DeleteUserSessions: %v", k, err)
			}
		}
		for _, k := range []string{"a5", "a3", "anon", "a2"} {
			if _, err := s.Load(ctx, k); err != nil {
				t.Errorf("Load(%s) after DeleteUserSessions: %v", k, err)
			}
		}
		// The stale member a3 now belongs to bob: it is not deleted.
		if n, err := s.DeleteUserSessions(ctx, "alice"); err != nil || n != 1 {
			t.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
		}
		want("bob", "a3")
		want("alice")
		for _, k := range []string{"a5", "a1"} {
			if err := c.ZScore(ctx, p+"i:user:alice", k).Err(); err != redis.Nil {
				t.Errorf("deleted %s still in alice's set: %v", k, err)
			}
		}
	})
}

// TestRoundTrips counts what leaves the client: Load, Save, SaveIfVersion,
// Touch and Delete are one round trip each, including the user-index
// update of a create; a write or Touch that must update the user index
// (a new owner, an expiry past the index entry) takes two more.
func TestRoundTrips(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testRoundTrips(t, b) })
	}
}

func testRoundTrips(t *testing.T, b backend) {
	{
		h := &rtCounter{}
		c := b.client(t, h)
		s, _ := newStore(t, c)
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		// Warm up: load the scripts, dial the connections, learn the slots.
		for i := 0; i < 2; i++ {
			s.Delete(ctx, "anon")
			s.Save(ctx, "anon", session.Record{Data: []byte("x"), Expires: exp})
			s.Save(ctx, "owned", session.Record{Data: []byte("x"), Expires: exp, UserID: "u"})
			s.SaveIfVersion(ctx, "owned", session.Record{Data: []byte("x"), Expires: exp, UserID: "u", Version: version([]byte("x"))})
			s.Load(ctx, "anon")
			s.Touch(ctx, "anon", exp)
			s.Touch(ctx, "owned", exp)
		}
		var v uint64
		tests := []struct {
			name string
			op   func() error
			want int64
		}{
			{"Load", func() error { r, err := s.Load(ctx, "owned"); v = r.Version; return err }, 1},
			{"Save", func() error { return s.Save(ctx, "anon", session.Record{Data: []byte("y"), Expires: exp}) }, 1},
			{"Save with user", func() error {
				return s.Save(ctx, "owned", session.Record{Data: []byte("y"), Expires: exp, UserID: "u"})
			}, 1},
			{"SaveIfVersion with user", func() error {
				_, err := s.SaveIfVersion(ctx, "owned", session.Record{Data: []byte("z"), Expires: exp, UserID: "u", Version: version([]byte("y"))})
				return err
			}, 1},
			{"SaveIfVersion conflict", func() error {
				_, err := s.SaveIfVersion(ctx, "owned", session.Record{Data: []byte("w"), Expires: exp, Version: v})
				if errors.Is(err, session.ErrConflict) {
					return nil
				}
				return fmt.Errorf("want ErrConflict, got %v", err)
			}, 1},
			{"SaveIfVersion create with user", func() error {
				_, err := s.SaveIfVersion(ctx, "created", session.Record{Data: []byte("c"), Expires: exp, UserID: "u"})
				return err
			}, 1},
			{"Save with a new owner", func() error {
				return s.Save(ctx, "created", session.Record{Data: []byte("c"), Expires: exp, UserID: "v"})
			}, 3},
			{"Touch", func() error { return s.Touch(ctx, "anon", exp) }, 1},
			{"Touch owned", func() error { return s.Touch(ctx, "owned", exp) }, 1},
			{"Touch owned past its index entry", func() error { return s.Touch(ctx, "owned", exp.Add(3*time.Hour)) }, 3},
			{"Delete", func() error { return s.Delete(ctx, "anon") }, 1},
		}
		for _, tt := range tests {
			h.reset()
			if err := tt.op(); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := h.calls.Load(); got != tt.want {
				t.Errorf("%s: %d client round trips, want %d", tt.name, got, tt.want)
			}
			// On a single node every round trip is exactly one write on the
			// connection; on Cluster a pipeline writes to each node in parallel.
			if !b.cluster {
				if got := h.writes.Load(); got != tt.want {
					t.Errorf("%s: %d connection writes, want %d", tt.name, got, tt.want)
				}
			}
		}
	}
}

// TestOutage: a store whose Redis is gone fails fast with an error, never
// ErrNotFound and never a panic.
func TestOutage(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	s := New(c)
	ctx := context.Background()
	rec := session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), UserID: "u"}
	ops := map[string]func() error{
		"Load": func() error { _, err := s.Load(ctx, "k"); return err },
		"Save": func() error { return s.Save(ctx, "k", rec) },
		"Save anonymous": func() error {
			return s.Save(ctx, "k", session.Record{Data: rec.Data, Expires: rec.Expires})
		},
		"SaveIfVersion": func() error { _, err := s.SaveIfVersion(ctx, "k", rec); return err },
		"Delete":        func() error { return s.Delete(ctx, "k") },
		"Touch":         func() error { return s.Touch(ctx, "k", rec.Expires) },
		"UserSessions":  func() error { _, err := s.UserSessions(ctx, "u"); return err },
		"DeleteUserSessions": func() error {
			_, err := s.DeleteUserSessions(ctx, "u")
			return err
		},
	}
	for name, op := range ops {
		start := time.Now()
		err := op()
		if err == nil || errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrConflict) {
			t.Errorf("%s with Redis down: %v, want a connection error", name, err)
		} else if !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v with Redis down", name, d)
		}
	}
	// A closed client is an outage too.
	c2 := singleClient(t)
	c2.Close()
	if _, err := New(c2).Load(ctx, "k"); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("Load on closed client: %v, want redis.ErrClosed", err)
	}
}

// TestNoScript: a script the server has not cached (a restarted node, SCRIPT
// FLUSH) is served through the EVAL fallback, inside pipelines too. A fresh
// script stands in for a flushed cache, so the shared server's script cache
// is left alone.
func TestNoScript(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, p := newStore(t, c)
		ctx := context.Background()
		b := make([]byte, 8)
		rand.Read(b)
		fresh := redis.NewScript(fmt.Sprintf("-- %x\nreturn redis.call('INCR', KEYS[1])", b))
		calls := []*call{
			{script: fresh, keys: []string{p + "n1"}},
			{script: fresh, keys: []string{p + "n2"}},
			{script: fresh, keys: []string{p + "n1"}},
		}
		s.run(ctx, calls)
		for i, want := range []int64{1, 1, 2} {
			if got, err := calls[i].cmd.Int64(); err != nil || got != want {
				t.Errorf("call %d = %d, %v; want %d (each write exactly once)", i, got, err, want)
			}
		}
	})
}
