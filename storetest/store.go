package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

func (s *suite) testRoundTrip(t *testing.T) {
	allBytes := make([]byte, 4*256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"Small", []byte(`{"user":"alice","cart":[1,2,3]}`)},
		{"Empty", []byte{}},
		{"AllByteValues", allBytes},
		{"1MiB", randBytes(t, 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := s.newStore(t)
			k := s.key(t, st)
			want := session.Record{Data: tt.data, Expires: s.now().Add(longTTL)}
			mustSave(t, st, k, want)
			s.checkRecord(t, st, k, mustLoad(t, st, k), want)
			if err := st.Delete(ctx(t), k); err != nil {
				t.Fatalf("Delete(%q): %v", k, err)
			}
			wantNotFound(t, st, k)
		})
	}
}

func (s *suite) testLoadMissing(t *testing.T) {
	st := s.newStore(t)
	wantNotFound(t, st, s.key(t, st))
}

func (s *suite) testDeleteMissing(t *testing.T) {
	st := s.newStore(t)
	k := s.key(t, st)
	if err := st.Delete(ctx(t), k); err != nil {
		t.Errorf("Delete(missing %q) = %v; want nil", k, err)
	}
	// Twice, and after a real delete.
	mustSave(t, st, k, session.Record{Data: []byte("x"), Expires: s.now().Add(longTTL)})
	for i := 0; i < 2; i++ {
		if err := st.Delete(ctx(t), k); err != nil {
			t.Errorf("Delete(%q) #%d = %v; want nil", k, i+1, err)
		}
	}
	wantNotFound(t, st, k)
}

func (s *suite) testOverwrite(t *testing.T) {
	st := s.newStore(t)
	k := s.key(t, st)
	first := session.Record{Data: bytes.Repeat([]byte("long first value "), 100), Expires: s.now().Add(longTTL), UserID: "storetest-user-" + randString(t, 12)}
	mustSave(t, st, k, first)
	// Shorter data and a different owner: nothing of the first record may remain.
	second := session.Record{Data: []byte("second"), Expires: s.now().Add(longTTL / 2)}
	mustSave(t, st, k, second)
	s.checkRecord(t, st, k, mustLoad(t, st, k), second)
}

func (s *suite) testDataIsCopied(t *testing.T) {
	st := s.newStore(t)
	k := s.key(t, st)
	data := []byte("original")
	mustSave(t, st, k, session.Record{Data: data, Expires: s.now().Add(longTTL)})
	copy(data, "XXXXXXXX") // the caller reuses its buffer
	got := mustLoad(t, st, k)
	if string(got.Data) != "original" {
		t.Fatalf("after the caller changed the saved slice, Load = %q; want %q", got.Data, "original")
	}
	for i := range got.Data {
		got.Data[i] = 'Y' // the caller scribbles on what it loaded
	}
	if again := mustLoad(t, st, k); string(again.Data) != "original" {
		t.Errorf("after the caller changed a loaded slice, Load = %q; want %q", again.Data, "original")
	}
}

func (s *suite) testUserID(t *testing.T) {
	tests := []struct{ name, user string }{
		{"Anonymous", ""},
		{"ASCII", "alice@example.com"},
		{"Unicode", "ünïcødé 用户 \U0001F600"},
		{"Long", strings.Repeat("u", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := s.newStore(t)
			k := s.key(t, st)
			want := session.Record{Data: []byte("data"), Expires: s.now().Add(longTTL), UserID: tt.user}
			mustSave(t, st, k, want)
			s.checkRecord(t, st, k, mustLoad(t, st, k), want)
		})
	}
}

func (s *suite) testLongKey(t *testing.T) {
	st := s.newStore(t)
	// 250 bytes using every character a key may contain.
	k := keyPrefix + randString(t, 22) + ".:-_"
	k += strings.Repeat("aZ09.:-_", 40)[:250-len(k)]
	s.cleanup(t, st, k)
	want := session.Record{Data: []byte("long key"), Expires: s.now().Add(longTTL)}
	mustSave(t, st, k, want)
	s.checkRecord(t, st, k, mustLoad(t, st, k), want)
	if err := st.Delete(ctx(t), k); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotFound(t, st, k)
}

func (s *suite) testCaseSensitiveKeys(t *testing.T) {
	st := s.newStore(t)
	base := keyPrefix + randString(t, 22)
	lower, upper := base+"-case-a", base+"-case-A"
	s.cleanup(t, st, lower)
	s.cleanup(t, st, upper)
	mustSave(t, st, lower, session.Record{Data: []byte("lower"), Expires: s.now().Add(longTTL)})
	mustSave(t, st, upper, session.Record{Data: []byte("upper"), Expires: s.now().Add(longTTL)})
	if got := mustLoad(t, st, lower); string(got.Data) != "lower" {
		t.Errorf("Load(%q) = %q; want %q (keys differing in case must not collide)", lower, got.Data, "lower")
	}
	if got := mustLoad(t, st, upper); string(got.Data) != "upper" {
		t.Errorf("Load(%q) = %q; want %q", upper, got.Data, "upper")
	}
}

func (s *suite) testExpiry(t *testing.T) {
	t.Run("LoadAfterExpiry", func(t *testing.T) {
		st := s.newStore(t)
		var k string
		exp := s.shortLived(t, func(exp time.Time) bool {
			k = s.key(t, st)
			mustSave(t, st, k, session.Record{Data: []byte("short-lived"), Expires: exp})
			return stillLive(t, st, k)
		})
		s.expire(t, exp)
		wantNotFound(t, st, k)
	})
	t.Run("SavedExpired", func(t *testing.T) {
		st := s.newStore(t)
		k := s.key(t, st)
		if err := st.Save(ctx(t), k, session.Record{Data: []byte("dead"), Expires: s.now().Add(-time.Minute)}); err != nil {
			t.Fatalf("Save with Expires in the past = %v; want nil", err)
		}
		wantNotFound(t, st, k)
		// Saving an expired record over a live one must not leave the old one loadable.
		mustSave(t, st, k, session.Record{Data: []byte("live"), Expires: s.now().Add(longTTL)})
		if err := st.Save(ctx(t), k, session.Record{Data: []byte("dead"), Expires: s.now().Add(-time.Minute)}); err != nil {
			t.Fatalf("Save with Expires in the past = %v; want nil", err)
		}
		wantNotFound(t, st, k)
	})
}

func (s *suite) testConcurrent(t *testing.T) {
	const goroutines, perG = 100, 10
	st := s.newStore(t)
	prefix := keyPrefix + randString(t, 16)
	exp := s.now().Add(longTTL)
	c := ctx(t)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			keys := make([]string, perG)
			for i := range keys {
				keys[i] = fmt.Sprintf("%s-%03d-%d", prefix, g, i)
				data := []byte(keys[i])
				if err := st.Save(c, keys[i], session.Record{Data: data, Expires: exp}); err != nil {
					t.Errorf("Save(%q): %v", keys[i], err)
					return
				}
			}
			for _, k := range keys {
				rec, err := st.Load(c, k)
				if err != nil || string(rec.Data) != k {
					t.Errorf("Load(%q) = %q, %v; want %q", k, rec.Data, err, k)
				}
			}
			for _, k := range keys {
				if err := st.Delete(c, k); err != nil {
					t.Errorf("Delete(%q): %v", k, err)
				}
				if _, err := st.Load(c, k); !errors.Is(err, session.ErrNotFound) {
					t.Errorf("Load(%q) after Delete = %v; want ErrNotFound", k, err)
				}
			}
		}(g)
	}
	wg.Wait()
}

var errPanicked = errors.New("panicked")

// call runs f and turns a panic into a test error.
func call(t *testing.T, name string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", name, r)
			err = errPanicked
		}
	}()
	return f()
}

// op is one store method the Canceled and Broken subtests drive.
type op struct {
	name string
	f    func(context.Context) error
}

// ops lists every method st has, applied to key k (which holds a live record
// when the ops run). Methods that write never resurrect k with wrong data:
// they write what is there already.
func (s *suite) ops(st session.Store, k string, version uint64) []op {
	exp := s.now().Add(longTTL)
	data := []byte("ops")
	list := []op{
		{"Load", func(c context.Context) error { _, err := st.Load(c, k); return err }},
		{"LoadMissing", func(c context.Context) error { _, err := st.Load(c, k+"-missing"); return err }},
		{"Save", func(c context.Context) error {
			return st.Save(c, k, session.Record{Data: data, Expires: exp})
		}},
		{"Delete", func(c context.Context) error { return st.Delete(c, k+"-missing") }},
	}
	if u, ok := st.(session.Updater); ok {
		list = append(list, op{"SaveIfVersion", func(c context.Context) error {
			_, err := u.SaveIfVersion(c, k, session.Record{Data: data, Expires: exp, Version: version})
			return err
		}})
	}
	if to, ok := st.(session.Toucher); ok {
		list = append(list, op{"Touch", func(c context.Context) error { return to.Touch(c, k, exp) }})
	}
	if sw, ok := st.(session.Sweeper); ok {
		list = append(list, op{"DeleteExpired", func(c context.Context) error { _, err := sw.DeleteExpired(c); return err }})
	}
	if ui, ok := st.(session.UserIndex); ok {
		list = append(list,
			op{"UserSessions", func(c context.Context) error { _, err := ui.UserSessions(c, "storetest-nobody"); return err }},
			op{"DeleteUserSessions", func(c context.Context) error {
				_, err := ui.DeleteUserSessions(c, "storetest-nobody")
				return err
			}},
		)
	}
	if l, ok := st.(session.Lister); ok {
		list = append(list, op{"ListSessions", func(c context.Context) error {
			_, err := l.ListSessions(c, keyPrefix+"nobody:", 0)
			return err
		}})
	}
	return list
}

func (s *suite) testCanceledContext(t *testing.T) {
	st := s.newStore(t)
	k := s.key(t, st)
	mustSave(t, st, k, session.Record{Data: []byte("ops"), Expires: s.now().Add(longTTL)})
	rec := mustLoad(t, st, k)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, o := range s.ops(st, k, rec.Version) {
		err := call(t, o.name, func() error { return o.f(canceled) })
		if err != nil && err != errPanicked && !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v; want nil or an error wrapping context.Canceled", o.name, err)
		}
	}
}

func (s *suite) testBroken(t *testing.T) {
	st := s.newStore(t)
	k := s.key(t, st)
	mustSave(t, st, k, session.Record{Data: []byte("ops"), Expires: s.now().Add(longTTL)})
	rec := mustLoad(t, st, k)
	closer, isCloser := st.(io.Closer)
	closed := false
	switch {
	case s.h.Break != nil:
		s.h.Break(t, st)
	case isCloser:
		if err := call(t, "Close", closer.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		closed = true
	default:
		t.Skip("store has no Harness.Break and does not implement io.Closer")
	}
	c := ctx(t)
	for _, o := range s.ops(st, k, rec.Version) {
		err := call(t, o.name, func() error { return o.f(c) })
		switch {
		case err == errPanicked:
		case err == nil:
			t.Errorf("%s on a broken store = nil; want an error", o.name)
		case closed && !errors.Is(err, session.ErrStoreClosed):
			t.Errorf("%s after Close = %v; want an error wrapping ErrStoreClosed", o.name, err)
		case (o.name == "Load" || o.name == "Touch") && errors.Is(err, session.ErrNotFound):
			// A stored record must not look absent because the backend is down:
			// the Manager would start a fresh session.
			t.Errorf("%s of a stored key on a broken store = %v; want an error that is not ErrNotFound", o.name, err)
		}
	}
	if isCloser {
		_ = call(t, "second Close", closer.Close) // any result but a panic
	}
}

// --- Updater ---
