package memcachestore

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/flaskgo/session"
)

func TestExpiration(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name string
		exp  time.Time
		want int32
	}{
		{"zero time", time.Time{}, -1},
		{"past", now.Add(-time.Hour), -1},
		{"now", now, -1},
		{"1ns", now.Add(1), 1},
		{"500ms", now.Add(500 * time.Millisecond), 1},
		{"1s", now.Add(time.Second), 1},
		{"1.001s", now.Add(1001 * time.Millisecond), 2},
		{"hour", now.Add(time.Hour), 3600},
		{"30 days", now.Add(30 * 24 * time.Hour), maxRelative},
		{"31 days: absolute, rounded up", now.Add(31 * 24 * time.Hour), int32(now.Add(31*24*time.Hour).Unix() + 1)},
		{"whole second absolute", time.Unix(1900000000, 0), 1900000000},
		{"past 2038", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt32},
		{"longest duration", now.Add(math.MaxInt64), math.MaxInt32},
	}
	for _, tt := range tests {
		if got := expiration(tt.exp, now); got != tt.want {
			t.Errorf("%s: expiration = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestInvalidKeys(t *testing.T) {
	s := New(memcache.New("127.0.0.1:1"), WithKeyPrefix("p:")) // never reached
	ctx := context.Background()
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"empty", "", false},
		{"248 bytes + prefix = 250", strings.Repeat("k", 248), true},
		{"249 bytes + prefix = 251", strings.Repeat("k", 249), false},
		{"space", "a b", false},
		{"newline", "a\nb", false},
		{"CR", "a\rb", false},
		{"NUL", "a\x00b", false},
		{"DEL", "a\x7fb", false},
		{"allowed punctuation", "session:Ab-_.9", true},
	}
	for _, tt := range tests {
		_, err := s.key(ctx, tt.key)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidKey)) {
			t.Errorf("%s: key(%q) error = %v, want ok=%v", tt.name, tt.key, err, tt.ok)
		}
		if !tt.ok {
			if _, err := s.Load(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s: Load error = %v, want ErrInvalidKey", tt.name, err)
			}
			if err := s.Save(ctx, tt.key, session.Record{Expires: time.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s: Save error = %v, want ErrInvalidKey", tt.name, err)
			}
		}
	}
}

// TestFlaskSessionLayout checks what a Flask-Session process sees: the plain
// data with flags 0, and that entries it wrote (with memcached's absolute
// expiry form, as for its 31-day default) load.
func TestFlaskSessionLayout(t *testing.T) {
	s, c, p := newStore(t)
	ctx := context.Background()
	data := []byte("\x82\xaa_permanent\xc3\xa7user_id*")
	if err := s.Save(ctx, "session:abc", session.Record{Data: data, Expires: time.Now().Add(31 * 24 * time.Hour), UserID: "42"}); err != nil {
		t.Fatal(err)
	}
	it, err := c.Get(p + "session:abc")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(it.Value, data) || it.Flags != 0 {
		t.Errorf("stored item = %q flags %d, want the plain data with flags 0", it.Value, it.Flags)
	}
	flask := &memcache.Item{Key: p + "session:flask", Value: data, Expiration: int32(time.Now().Unix() + 31*24*3600)}
	if err := c.Set(flask); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Load(ctx, "session:flask")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Data, data) || rec.Version == 0 || rec.UserID != "" || !rec.Expires.IsZero() {
		t.Errorf("Load(Flask entry) = %+v", rec)
	}
}

func TestCAS(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	const key = "session:cas"
	v1, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("one"), Expires: exp})
	if err != nil || v1 == 0 || v1 == unknownVersion {
		t.Fatalf("create: %d, %v", v1, err)
	}
	if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("again"), Expires: exp}); !errors.Is(err, session.ErrConflict) {
		t.Errorf("add over an existing item: %v, want ErrConflict", err)
	}
	loaded, err := s.Load(ctx, key)
	if err != nil || loaded.Version != v1 {
		t.Fatalf("Load = %+v, %v; want version %d", loaded, err, v1)
	}
	// Another writer (a Flask process, or Save) changes the item.
	if err := s.Save(ctx, key, session.Record{Data: []byte("other"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("stale"), Expires: exp, Version: v1}); !errors.Is(err, session.ErrConflict) {
		t.Errorf("cas with a stale version: %v, want ErrConflict", err)
	}
	cur, _ := s.Load(ctx, key)
	if string(cur.Data) != "other" {
		t.Errorf("after the conflict Load = %q, want %q", cur.Data, "other")
	}
	v3, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("three"), Expires: exp, Version: cur.Version})
	if err != nil || v3 == cur.Version {
		t.Fatalf("cas with the current version: %d, %v", v3, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("zombie"), Expires: exp, Version: v3}); !errors.Is(err, session.ErrConflict) {
		t.Errorf("cas of a deleted item: %v, want ErrConflict", err)
	}
}

func TestTouch(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	if err := s.Save(ctx, "t", session.Record{Data: []byte("d"), Expires: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	before, err := s.Load(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	// Beyond 30 days: the absolute form.
	if err := s.Touch(ctx, "t", time.Now().Add(40*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // past the original expiry
	after, err := s.Load(ctx, "t")
	if err != nil {
		t.Fatalf("Load after Touch: %v", err)
	}
	if after.Version != before.Version || string(after.Data) != "d" {
		t.Errorf("Touch changed the item: %+v -> %+v", before, after)
	}
	if err := s.Touch(ctx, "t", time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("Touch into the past: %v", err)
	}
	if _, err := s.Load(ctx, "t"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Load after Touch into the past: %v, want ErrNotFound", err)
	}
	if err := s.Touch(ctx, "none", time.Now().Add(time.Hour)); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Touch(missing) = %v, want ErrNotFound", err)
	}
}

func TestConcurrentIncrement(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	const key, workers = "counter", 20
	exp := time.Now().Add(time.Hour)
	if err := s.Save(ctx, key, session.Record{Data: []byte("0"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rec, err := s.Load(ctx, key)
				if err != nil {
					t.Error(err)
					return
				}
				n, _ := strconv.Atoi(string(rec.Data))
				rec.Data, rec.Expires = []byte(strconv.Itoa(n+1)), exp
				if _, err = s.SaveIfVersion(ctx, key, rec); err == nil {
					return
				} else if !errors.Is(err, session.ErrConflict) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if rec, err := s.Load(ctx, key); err != nil || string(rec.Data) != strconv.Itoa(workers) {
		t.Errorf("counter = %q, %v; want %d", rec.Data, err, workers)
	}
}

func TestTooLarge(t *testing.T) {
	s, _, _ := newStore(t)
	err := s.Save(context.Background(), "big", session.Record{Data: make([]byte, 8<<20), Expires: time.Now().Add(time.Hour)})
	if err == nil || !strings.HasPrefix(err.Error(), "memcachestore: save") {
		t.Errorf("Save of 8 MiB = %v, want the server's refusal", err)
	}
}

// TestRoundTrips counts the commands sent: one each, except SaveIfVersion,
// which reads the new CAS id back.
func TestRoundTrips(t *testing.T) {
	c, _ := newClient(t)
	w := &writeCounter{}
	c.DialContext = w.dial
	c.Close() // drop the pinged connection, so every later one is counted
	s := New(c, WithKeyPrefix(randomPrefix(t)))
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	var v uint64
	tests := []struct {
		name string
		op   func() error
		want int64
	}{
		{"Save", func() error { return s.Save(ctx, "k", session.Record{Data: []byte("x"), Expires: exp}) }, 1},
		{"Load", func() error { r, err := s.Load(ctx, "k"); v = r.Version; return err }, 1},
		{"SaveIfVersion", func() error {
			_, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("y"), Expires: exp, Version: v})
			return err
		}, 2},
		{"SaveIfVersion conflict", func() error {
			_, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("z"), Expires: exp, Version: v})
			if !errors.Is(err, session.ErrConflict) {
				return err
			}
			return nil
		}, 1},
		{"Touch", func() error { return s.Touch(ctx, "k", exp) }, 1},
		{"Delete", func() error { return s.Delete(ctx, "k") }, 1},
	}
	for _, tt := range tests {
		w.n.Store(0)
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := w.n.Load(); got != tt.want {
			t.Errorf("%s: %d round trips, want %d", tt.name, got, tt.want)
		}
	}
}

// TestOutage: a store whose memcached is gone fails fast with an error,
// never ErrNotFound and never a panic.
func TestOutage(t *testing.T) {
	c := memcache.New("127.0.0.1:1")
	c.Timeout = 200 * time.Millisecond
	s := New(c)
	ctx := context.Background()
	rec := session.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}
	ops := map[string]func() error{
		"Load":          func() error { _, err := s.Load(ctx, "k"); return err },
		"Save":          func() error { return s.Save(ctx, "k", rec) },
		"SaveIfVersion": func() error { _, err := s.SaveIfVersion(ctx, "k", rec); return err },
		"Delete":        func() error { return s.Delete(ctx, "k") },
		"Touch":         func() error { return s.Touch(ctx, "k", rec.Expires) },
	}
	for name, op := range ops {
		start := time.Now()
		err := op()
		if err == nil || errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrConflict) {
			t.Errorf("%s with memcached down: %v, want a connection error", name, err)
		} else if !strings.HasPrefix(err.Error(), "memcachestore: ") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v with memcached down", name, d)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	s, _, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Load(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
	}
	if err := s.Save(ctx, "k", session.Record{Expires: time.Now().Add(time.Hour)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a cancelled context = %v, want context.Canceled", err)
	}
}
