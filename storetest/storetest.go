// Package storetest is the conformance suite for session.Store
// implementations.
//
// A store package calls Run from one of its tests:
//
//	func TestConformance(t *testing.T) {
//		var offset atomic.Int64 // the store's clock: real time + offset
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) session.Store {
//				s := mystore.New(mystore.WithClock(func() time.Time {
//					return time.Now().Add(time.Duration(offset.Load()))
//				}))
//				t.Cleanup(func() { s.Close() })
//				return s
//			},
//			Advance: func(d time.Duration) { offset.Add(int64(d)) },
//		})
//	}
//
// The suite checks the Store contract and, when the store implements them,
// session.Updater, session.Toucher, session.Sweeper, session.UserIndex and
// session.Lister; missing capabilities are skipped. Subtest names are stable, so a store can
// run a subset with -run.
//
// # Clock
//
// When Harness.Advance is set, the suite assumes the store's clock reads real
// time plus the total of the Advance calls made by this Run (a clock frozen at
// the time the harness was built also works: the suite leaves minutes of slack).
// Give every Run its own clock. When Advance is nil the suite saves records
// with TTLs of a few Harness.TTLResolution and sleeps past them.
//
// # Shared backends
//
// Keys are "storetest:" followed by 22 random characters, and user ids are
// random too, so several stores (and several packages) may share one backend.
// The Sweeper subtest is the exception: it counts what DeleteExpired removes,
// so while it runs nothing else may leave expiring records in the same backend.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// Harness describes how to build the store under test.
type Harness struct {
	// New returns an empty, ready store. Called once per subtest; register
	// cleanup with t.Cleanup. Stores sharing one backend are fine: the suite
	// uses random keys (prefix "storetest:" + 22 random chars).
	New func(t *testing.T) session.Store

	// Advance moves the store's clock forward by d. Nil means the backend
	// uses real time: expiry subtests then use short real TTLs and sleep.
	Advance func(d time.Duration)

	// TTLResolution is the smallest TTL the backend honours when Advance is
	// nil (e.g. time.Second for memcached). Default 100ms.
	TTLResolution time.Duration

	// Break, when set, makes the given store's connection fail (e.g. close
	// the client/DB), to check that every method returns an error and
	// nothing panics. When nil and the store implements io.Closer, the suite
	// closes it instead.
	Break func(t *testing.T, s session.Store)

	// NoUserID says the store does not keep Record.UserID: Load reports ""
	// (e.g. memcachestore, whose value holds nothing but the data).
	NoUserID bool

	// NoExpires says Load cannot report Record.Expires and leaves it zero
	// (e.g. memcachestore: memcached's text protocol does not return an
	// item's expiration). The record must still expire on time.
	NoExpires bool
}

// keyPrefix starts every key the suite uses.
const keyPrefix = "storetest:"

// Durations used with a fake clock. They are long compared with the run time
// of the suite so that a clock frozen when the harness was built, or a little
// drift between the suite's idea of "now" and the store's, does not matter.
const (
	fakeShortTTL = 10 * time.Minute
	longTTL      = 24 * time.Hour // outlives every Advance the suite makes
	opTimeout    = 60 * time.Second
)

// Run runs the conformance suite against the store built by h.
//
// What it asserts about a context that is already cancelled: every method
// either succeeds or returns an error wrapping context.Canceled; in
// particular Load of a missing key must not report ErrNotFound, because the
// store cannot know that without asking its backend.
//
// What it asserts about a broken store (Harness.Break, or Close): every method
// returns an error, Load of a stored key does not claim ErrNotFound, and after
// Close the errors wrap session.ErrStoreClosed.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	s := &suite{h: h, res: h.TTLResolution}
	if s.res <= 0 {
		s.res = 100 * time.Millisecond
	}

	t.Run("RoundTrip", s.testRoundTrip)
	t.Run("LoadMissing", s.testLoadMissing)
	t.Run("DeleteMissing", s.testDeleteMissing)
	t.Run("Overwrite", s.testOverwrite)
	t.Run("DataIsCopied", s.testDataIsCopied)
	t.Run("UserID", s.testUserID)
	t.Run("LongKey", s.testLongKey)
	t.Run("KeysAreCaseSensitive", s.testCaseSensitiveKeys)
	t.Run("Expiry", s.testExpiry)
	t.Run("Concurrent", s.testConcurrent)
	t.Run("CanceledContext", s.testCanceledContext)
	t.Run("Updater", s.testUpdater)
	t.Run("Toucher", s.testToucher)
	t.Run("Sweeper", s.testSweeper)
	t.Run("UserIndex", s.testUserIndex)
	t.Run("Lister", s.testLister)
	// Last: some harnesses break a connection shared with the other subtests.
	t.Run("Broken", s.testBroken)
}

type suite struct {
	h   Harness
	res time.Duration

	mu       sync.Mutex
	advanced time.Duration // total passed to h.Advance
}

// now is the suite's view of the store's clock.
func (s *suite) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.advanced)
}

// shortTTL is a TTL that the suite lets run out with expire.
func (s *suite) shortTTL() time.Duration {
	if s.h.Advance != nil {
		return fakeShortTTL
	}
	return 2 * s.res
}

// shortLived calls setup with the expiry of a short TTL; setup saves records
// expiring then and reports whether they were all still live when it
// finished. With real time a slow machine (or a slow backend) may let them
// expire first; then setup runs again, with fresh keys and a doubled TTL.
// It returns the expiry setup last used.
func (s *suite) shortLived(t *testing.T, setup func(exp time.Time) bool) time.Time {
	t.Helper()
	ttl := s.shortTTL()
	for attempt := 1; ; attempt++ {
		exp := s.now().Add(ttl)
		if setup(exp) {
			return exp
		}
		if s.h.Advance != nil {
			t.Fatalf("records saved with a TTL of %v were gone before the clock was advanced", ttl)
		}
		if attempt == 6 {
			t.Fatalf("records saved with a TTL of %v expired before they could be read back", ttl)
		}
		t.Logf("records with a TTL of %v expired during setup; retrying with %v", ttl, 2*ttl)
		ttl *= 2
	}
}

// stillLive reports whether k loads. ErrNotFound means false; other errors
// fail the test.
func stillLive(t *testing.T, st session.Store, k string) bool {
	t.Helper()
	_, err := st.Load(ctx(t), k)
	if errors.Is(err, session.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("Load(%q): %v", k, err)
	}
	return true
}

// tolerance is how far a loaded Expires may be from the saved one: stores
// may round to their resolution (seconds for memcached, microseconds in SQL).
func (s *suite) tolerance() time.Duration {
	if s.res > time.Second {
		return s.res
	}
	return time.Second
}

// expire makes the store's clock pass t.
func (s *suite) expire(t *testing.T, at time.Time) {
	t.Helper()
	if s.h.Advance != nil {
		// A minute of slack covers a store clock that is frozen or lags the
		// suite's by the run time so far.
		d := at.Sub(s.now()) + time.Minute
		if d <= 0 {
			return
		}
		s.mu.Lock()
		s.advanced += d
		s.mu.Unlock()
		s.h.Advance(d)
		return
	}
	// Backends with coarse clocks may keep a record up to one resolution
	// step longer than asked.
	time.Sleep(time.Until(at.Add(s.res + s.res/2)))
}

// newStore builds a store for one subtest.
func (s *suite) newStore(t *testing.T) session.Store {
	t.Helper()
	st := s.h.New(t)
	if st == nil {
		t.Fatal("Harness.New returned nil")
	}
	return st
}

// ctx returns a context for one subtest, bounded so a hung backend fails
// the test instead of the whole binary.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return c
}

// randString returns n random characters from [A-Za-z0-9_-].
func randString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n*6+7)/8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// key returns a fresh random key and deletes it when the test ends.
func (s *suite) key(t *testing.T, st session.Store) string {
	t.Helper()
	k := keyPrefix + randString(t, 22)
	s.cleanup(t, st, k)
	return k
}

func (s *suite) cleanup(t *testing.T, st session.Store, k string) {
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		_ = st.Delete(c, k) // best effort: the store may be broken on purpose
	})
}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	return b
}

// mustSave saves rec under k or fails the test.
func mustSave(t *testing.T, st session.Store, k string, rec session.Record) {
	t.Helper()
	if err := st.Save(ctx(t), k, rec); err != nil {
		t.Fatalf("Save(%q): %v", k, err)
	}
}

// mustLoad loads k or fails the test.
func mustLoad(t *testing.T, st session.Store, k string) session.Record {
	t.Helper()
	rec, err := st.Load(ctx(t), k)
	if err != nil {
		t.Fatalf("Load(%q): %v", k, err)
	}
	return rec
}

// wantNotFound checks that k is not loadable.
func wantNotFound(t *testing.T, st session.Store, k string) {
	t.Helper()
	rec, err := st.Load(ctx(t), k)
	if !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Load(%q) = %d bytes, %v; want error wrapping ErrNotFound", k, len(rec.Data), err)
	}
}

// checkRecord compares a loaded record with what was saved.
func (s *suite) checkRecord(t *testing.T, st session.Store, k string, got, want session.Record) {
	t.Helper()
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("Load(%q).Data = %s; want %s", k, abbrev(got.Data), abbrev(want.Data))
	}
	if got.UserID != want.UserID && !(s.h.NoUserID && got.UserID == "") {
		t.Errorf("Load(%q).UserID = %q; want %q", k, got.UserID, want.UserID)
	}
	if !(s.h.NoExpires && got.Expires.IsZero()) {
		s.checkExpires(t, "Load("+strconv.Quote(k)+").Expires", got.Expires, want.Expires)
	}
	if _, ok := st.(session.Updater); ok && got.Version == 0 {
		t.Errorf("Load(%q).Version = 0; a store implementing Updater must report the stored version", k)
	}
}

func (s *suite) checkExpires(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d > s.tolerance() || d < -s.tolerance() {
		t.Errorf("%s = %v; want %v (±%v)", what, got, want, s.tolerance())
	}
}

func abbrev(b []byte) string {
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q… (%d bytes)", b[:64], len(b))
}

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

func (s *suite) updater(t *testing.T) (session.Store, session.Updater) {
	t.Helper()
	st := s.newStore(t)
	u, ok := st.(session.Updater)
	if !ok {
		t.Skip("store does not implement session.Updater")
	}
	return st, u
}

func wantConflict(t *testing.T, what string, v uint64, err error) {
	t.Helper()
	if !errors.Is(err, session.ErrConflict) {
		t.Errorf("%s = %d, %v; want an error wrapping ErrConflict", what, v, err)
	}
}

func (s *suite) testUpdater(t *testing.T) {
	s.updater(t) // skips the group at once

	t.Run("CreateIfAbsent", func(t *testing.T) {
		st, u := s.updater(t)
		k := s.key(t, st)
		want := session.Record{Data: []byte("created"), Expires: s.now().Add(longTTL), UserID: "storetest-user-" + randString(t, 12)}
		v, err := u.SaveIfVersion(ctx(t), k, want)
		if err != nil {
			t.Fatalf("SaveIfVersion(absent, 0): %v", err)
		}
		if v == 0 {
			t.Fatal("SaveIfVersion returned version 0")
		}
		got := mustLoad(t, st, k)
		s.checkRecord(t, st, k, got, want)
		if got.Version != v {
			t.Errorf("Load.Version = %d; want %d as returned by SaveIfVersion", got.Version, v)
		}
		v2, err := u.SaveIfVersion(ctx(t), k, session.Record{Data: []byte("second create"), Expires: s.now().Add(longTTL)})
		wantConflict(t, "second SaveIfVersion(version 0)", v2, err)
		after := mustLoad(t, st, k)
		s.checkRecord(t, st, k, after, want)
		if after.Version != v {
			t.Errorf("after a failed create, Version = %d; want %d", after.Version, v)
		}
	})

	t.Run("UpdateLoadedVersion", func(t *testing.T) {
		st, u := s.updater(t)
		k := s.key(t, st)
		mustSave(t, st, k, session.Record{Data: []byte("v1"), Expires: s.now().Add(longTTL)})
		rec := mustLoad(t, st, k)
		seen := map[uint64]bool{rec.Version: true}
		for i := 2; i <= 4; i++ {
			want := session.Record{Data: []byte("v" + strconv.Itoa(i)), Expires: s.now().Add(longTTL), UserID: "u", Version: rec.Version}
			v, err := u.SaveIfVersion(ctx(t), k, want)
			if err != nil {
				t.Fatalf("SaveIfVersion(loaded version %d): %v", rec.Version, err)
			}
			if v == 0 || seen[v] {
				t.Fatalf("SaveIfVersion returned version %d; want a new non-zero version (seen %v)", v, seen)
			}
			seen[v] = true
			rec = mustLoad(t, st, k)
			s.checkRecord(t, st, k, rec, want)
			if rec.Version != v {
				t.Fatalf("Load.Version = %d; want %d as returned by SaveIfVersion", rec.Version, v)
			}
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		st, u := s.updater(t)
		k := s.key(t, st)
		mustSave(t, st, k, session.Record{Data: []byte("v1"), Expires: s.now().Add(longTTL)})
		stale := mustLoad(t, st, k)
		want := session.Record{Data: []byte("v2"), Expires: s.now().Add(longTTL), UserID: "winner", Version: stale.Version}
		v2, err := u.SaveIfVersion(ctx(t), k, want)
		if err != nil {
			t.Fatalf("SaveIfVersion: %v", err)
		}
		loser := session.Record{Data: []byte("loser"), Expires: s.now().Add(longTTL / 2), UserID: "loser", Version: stale.Version}
		v, err := u.SaveIfVersion(ctx(t), k, loser)
		wantConflict(t, "SaveIfVersion(stale version)", v, err)
		got := mustLoad(t, st, k)
		s.checkRecord(t, st, k, got, want)
		if got.Version != v2 {
			t.Errorf("after a conflict, Version = %d; want %d", got.Version, v2)
		}
	})

	t.Run("SaveChangesVersion", func(t *testing.T) {
		st, u := s.updater(t)
		k := s.key(t, st)
		mustSave(t, st, k, session.Record{Data: []byte("v1"), Expires: s.now().Add(longTTL)})
		stale := mustLoad(t, st, k)
		mustSave(t, st, k, session.Record{Data: []byte("unconditional"), Expires: s.now().Add(longTTL)})
		v, err := u.SaveIfVersion(ctx(t), k, session.Record{Data: []byte("loser"), Expires: s.now().Add(longTTL), Version: stale.Version})
		wantConflict(t, "SaveIfVersion(version from before a Save)", v, err)
		if got := mustLoad(t, st, k); string(got.Data) != "unconditional" {
			t.Errorf("Load = %q; want %q", got.Data, "unconditional")
		}
	})

	t.Run("NoResurrection", func(t *testing.T) {
		st, u := s.updater(t)
		k := s.key(t, st)
		mustSave(t, st, k, session.Record{Data: []byte("v1"), Expires: s.now().Add(longTTL)})
		old := mustLoad(t, st, k)
		if err := st.Delete(ctx(t), k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		v, err := u.SaveIfVersion(ctx(t), k, session.Record{Data: []byte("zombie"), Expires: s.now().Add(longTTL), Version: old.Version})
		wantConflict(t, "SaveIfVersion(version of a deleted record)", v, err)
		wantNotFound(t, st, k)
	})

	t.Run("Expired", func(t *testing.T) {
		st, u := s.updater(t)
		var zombie, reborn string
		var old session.Record
		exp := s.shortLived(t, func(exp time.Time) bool {
			zombie, reborn = s.key(t, st), s.key(t, st)
			mustSave(t, st, zombie, session.Record{Data: []byte("old"), Expires: exp})
			mustSave(t, st, reborn, session.Record{Data: []byte("old"), Expires: exp})
			var err error
			old, err = st.Load(ctx(t), zombie)
			if err != nil && !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("Load: %v", err)
			}
			return err == nil && stillLive(t, st, reborn)
		})
		s.expire(t, exp)
		// An expired record is no record: its version no longer matches...
		v, err := u.SaveIfVersion(ctx(t), zombie, session.Record{Data: []byte("zombie"), Expires: s.now().Add(longTTL), Version: old.Version})
		wantConflict(t, "SaveIfVersion(version of an expired record)", v, err)
		wantNotFound(t, st, zombie)
		// ...and version 0 may create over it.
		want := session.Record{Data: []byte("new"), Expires: s.now().Add(longTTL)}
		if _, err := u.SaveIfVersion(ctx(t), reborn, want); err != nil {
			t.Fatalf("SaveIfVersion(0) over an expired record: %v", err)
		}
		s.checkRecord(t, st, reborn, mustLoad(t, st, reborn), want)
	})

	t.Run("ConcurrentIncrement", func(t *testing.T) {
		const goroutines = 50
		st, u := s.updater(t)
		k := s.key(t, st)
		exp := s.now().Add(longTTL)
		mustSave(t, st, k, session.Record{Data: []byte("0"), Expires: exp})
		c := ctx(t)
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for attempt := 0; ; attempt++ {
					if attempt == 10000 {
						t.Error("no progress after 10000 conflicts")
						return
					}
					rec, err := st.Load(c, k)
					if err != nil {
						t.Errorf("Load: %v", err)
						return
					}
					n, err := strconv.Atoi(string(rec.Data))
					if err != nil {
						t.Errorf("counter = %q: %v", rec.Data, err)
						return
					}
					rec.Data = []byte(strconv.Itoa(n + 1))
					rec.Expires = exp // as the Manager does: a loaded Expires may be zero (NoExpires)
					// A request works between load and save; let others in,
					// or a fast store never sees a conflict.
					runtime.Gosched()
					_, err = u.SaveIfVersion(c, k, rec)
					if err == nil {
						return
					}
					if !errors.Is(err, session.ErrConflict) {
						t.Errorf("SaveIfVersion: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if got := mustLoad(t, st, k); string(got.Data) != strconv.Itoa(goroutines) {
			t.Errorf("counter = %q after %d concurrent increments; want %d (lost updates)", got.Data, goroutines, goroutines)
		}
	})
}

// --- Toucher ---

func (s *suite) toucher(t *testing.T) (session.Store, session.Toucher) {
	t.Helper()
	st := s.newStore(t)
	to, ok := st.(session.Toucher)
	if !ok {
		t.Skip("store does not implement session.Toucher")
	}
	return st, to
}

func (s *suite) testToucher(t *testing.T) {
	s.toucher(t)

	t.Run("ExtendsExpiry", func(t *testing.T) {
		st, to := s.toucher(t)
		var k string
		rec := session.Record{Data: []byte("touch me"), UserID: "u"}
		original := s.shortLived(t, func(exp time.Time) bool {
			k = s.key(t, st)
			rec.Expires = exp
			mustSave(t, st, k, rec)
			rec.Expires = s.now().Add(longTTL)
			err := to.Touch(ctx(t), k, rec.Expires)
			if errors.Is(err, session.ErrNotFound) && s.h.Advance == nil && !s.now().Before(exp) {
				return false // expired before Touch got there
			}
			if err != nil {
				t.Fatalf("Touch: %v", err)
			}
			return true
		})
		s.expire(t, original)
		s.checkRecord(t, st, k, mustLoad(t, st, k), rec)
	})

	t.Run("KeepsDataAndVersion", func(t *testing.T) {
		st, to := s.toucher(t)
		k := s.key(t, st)
		mustSave(t, st, k, session.Record{Data: []byte("unchanged"), Expires: s.now().Add(longTTL / 2), UserID: "owner"})
		before := mustLoad(t, st, k)
		newExp := s.now().Add(longTTL)
		if err := to.Touch(ctx(t), k, newExp); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		after := mustLoad(t, st, k)
		if !bytes.Equal(after.Data, before.Data) || after.UserID != before.UserID {
			t.Errorf("after Touch, Load = %q (user %q); want %q (user %q)", after.Data, after.UserID, before.Data, before.UserID)
		}
		if after.Version != before.Version {
			t.Errorf("Touch changed Version from %d to %d", before.Version, after.Version)
		}
		if !(s.h.NoExpires && after.Expires.IsZero()) {
			s.checkExpires(t, "Expires after Touch", after.Expires, newExp)
		}
		if u, ok := st.(session.Updater); ok {
			// The version read before Touch still wins a conditional write.
			if _, err := u.SaveIfVersion(ctx(t), k, session.Record{Data: []byte("x"), Expires: newExp, Version: before.Version}); err != nil {
				t.Errorf("SaveIfVersion with the version read before Touch: %v", err)
			}
		}
	})

	t.Run("Missing", func(t *testing.T) {
		st, to := s.toucher(t)
		k := s.key(t, st)
		if err := to.Touch(ctx(t), k, s.now().Add(longTTL)); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Touch(missing) = %v; want an error wrapping ErrNotFound", err)
		}
		wantNotFound(t, st, k) // and it did not create one
	})
}

// --- Sweeper ---

func (s *suite) testSweeper(t *testing.T) {
	st := s.newStore(t)
	sw, ok := st.(session.Sweeper)
	if !ok {
		t.Skip("store does not implement session.Sweeper")
	}
	t.Run("DeleteExpired", func(t *testing.T) {
		var dead, live []string
		exp := s.shortLived(t, func(exp time.Time) bool {
			// Leftovers of earlier subtests, runs or attempts must not be
			// counted below.
			if _, err := sw.DeleteExpired(ctx(t)); err != nil {
				t.Fatalf("DeleteExpired: %v", err)
			}
			dead = dead[:0]
			for i := 0; i < 3; i++ {
				k := s.key(t, st)
				mustSave(t, st, k, session.Record{Data: []byte("dead"), Expires: exp, UserID: "storetest-user-" + randString(t, 12)})
				dead = append(dead, k)
			}
			for _, k := range dead {
				if !stillLive(t, st, k) {
					return false
				}
			}
			return true
		})
		for i := 0; i < 2; i++ {
			k := s.key(t, st)
			mustSave(t, st, k, session.Record{Data: []byte("live"), Expires: s.now().Add(longTTL)})
			live = append(live, k)
		}
		s.expire(t, exp)
		n, err := sw.DeleteExpired(ctx(t))
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if n != len(dead) {
			t.Errorf("DeleteExpired = %d; want %d", n, len(dead))
		}
		for _, k := range dead {
			wantNotFound(t, st, k)
		}
		for _, k := range live {
			if got := mustLoad(t, st, k); string(got.Data) != "live" {
				t.Errorf("Load(%q) = %q after DeleteExpired; want %q", k, got.Data, "live")
			}
		}
	})
}

// --- UserIndex ---

func (s *suite) userIndex(t *testing.T) (session.Store, session.UserIndex) {
	t.Helper()
	st := s.newStore(t)
	ui, ok := st.(session.UserIndex)
	if !ok {
		t.Skip("store does not implement session.UserIndex")
	}
	return st, ui
}

// wantSessions checks UserSessions(user) against want (key → expiry).
func (s *suite) wantSessions(t *testing.T, ui session.UserIndex, user string, want map[string]time.Time) {
	t.Helper()
	got, err := ui.UserSessions(ctx(t), user)
	if err != nil {
		t.Fatalf("UserSessions(%q): %v", user, err)
	}
	var gotKeys, wantKeys []string
	for _, info := range got {
		gotKeys = append(gotKeys, info.Key)
		if info.UserID != user {
			t.Errorf("UserSessions(%q) lists %q with UserID %q", user, info.Key, info.UserID)
		}
		if exp, ok := want[info.Key]; ok {
			s.checkExpires(t, "RecordInfo.Expires of "+info.Key, info.Expires, exp)
		}
	}
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if strings.Join(gotKeys, " ") != strings.Join(wantKeys, " ") {
		t.Errorf("UserSessions(%q) keys = %q; want %q", user, gotKeys, wantKeys)
	}
}

func (s *suite) testUserIndex(t *testing.T) {
	s.userIndex(t)

	t.Run("UserSessions", func(t *testing.T) {
		st, ui := s.userIndex(t)
		alice, bob := "storetest-alice-"+randString(t, 12), "storetest-bob-"+randString(t, 12)
		want := map[string]time.Time{}
		for i := 0; i < 3; i++ {
			k := s.key(t, st)
			want[k] = s.now().Add(longTTL - time.Duration(i)*time.Hour)
			mustSave(t, st, k, session.Record{Data: []byte("alice"), Expires: want[k], UserID: alice})
		}
		bobKey := s.key(t, st)
		bobExp := s.now().Add(longTTL)
		mustSave(t, st, bobKey, session.Record{Data: []byte("bob"), Expires: bobExp, UserID: bob})
		anon := s.key(t, st)
		mustSave(t, st, anon, session.Record{Data: []byte("anon"), Expires: s.now().Add(longTTL)})
		deleted := s.key(t, st)
		mustSave(t, st, deleted, session.Record{Data: []byte("alice"), Expires: s.now().Add(longTTL), UserID: alice})
		if err := st.Delete(ctx(t), deleted); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		exp := s.shortLived(t, func(exp time.Time) bool {
			expired := s.key(t, st)
			mustSave(t, st, expired, session.Record{Data: []byte("alice"), Expires: exp, UserID: alice})
			return stillLive(t, st, expired)
		})
		s.expire(t, exp)

		s.wantSessions(t, ui, alice, want)
		s.wantSessions(t, ui, bob, map[string]time.Time{bobKey: bobExp})
		s.wantSessions(t, ui, "storetest-nobody-"+randString(t, 12), nil)
	})

	t.Run("DeleteUserSessions", func(t *testing.T) {
		st, ui := s.userIndex(t)
		alice, bob := "storetest-alice-"+randString(t, 12), "storetest-bob-"+randString(t, 12)
		var keys []string
		exp := s.now().Add(longTTL)
		for i := 0; i < 4; i++ {
			k := s.key(t, st)
			mustSave(t, st, k, session.Record{Data: []byte("alice"), Expires: exp, UserID: alice})
			keys = append(keys, k)
		}
		bobKey := s.key(t, st)
		mustSave(t, st, bobKey, session.Record{Data: []byte("bob"), Expires: exp, UserID: bob})
		keep := keys[1]
		// bobKey in except must not matter: it is not alice's.
		n, err := ui.DeleteUserSessions(ctx(t), alice, keep, bobKey)
		if err != nil {
			t.Fatalf("DeleteUserSessions: %v", err)
		}
		if n != len(keys)-1 {
			t.Errorf("DeleteUserSessions(alice, except one) = %d; want %d", n, len(keys)-1)
		}
		for _, k := range keys {
			if k != keep {
				wantNotFound(t, st, k)
			}
		}
		mustLoad(t, st, keep)
		mustLoad(t, st, bobKey)
		s.wantSessions(t, ui, alice, map[string]time.Time{keep: exp})
		s.wantSessions(t, ui, bob, map[string]time.Time{bobKey: exp})

		n, err = ui.DeleteUserSessions(ctx(t), alice)
		if err != nil || n != 1 {
			t.Errorf("DeleteUserSessions(alice) = %d, %v; want 1, nil", n, err)
		}
		wantNotFound(t, st, keep)
		n, err = ui.DeleteUserSessions(ctx(t), "storetest-nobody-"+randString(t, 12))
		if err != nil || n != 0 {
			t.Errorf("DeleteUserSessions(unknown user) = %d, %v; want 0, nil", n, err)
		}
		mustLoad(t, st, bobKey)
	})

	t.Run("ChangeUserID", func(t *testing.T) {
		st, ui := s.userIndex(t)
		alice, bob := "storetest-alice-"+randString(t, 12), "storetest-bob-"+randString(t, 12)
		k := s.key(t, st)
		exp := s.now().Add(longTTL)
		mustSave(t, st, k, session.Record{Data: []byte("x"), Expires: exp, UserID: alice})
		s.wantSessions(t, ui, alice, map[string]time.Time{k: exp})

		mustSave(t, st, k, session.Record{Data: []byte("x"), Expires: exp, UserID: bob})
		s.wantSessions(t, ui, alice, nil)
		s.wantSessions(t, ui, bob, map[string]time.Time{k: exp})

		if u, ok := st.(session.Updater); ok {
			rec := mustLoad(t, st, k)
			rec.UserID = alice
			if _, err := u.SaveIfVersion(ctx(t), k, rec); err != nil {
				t.Fatalf("SaveIfVersion: %v", err)
			}
			s.wantSessions(t, ui, bob, nil)
			s.wantSessions(t, ui, alice, map[string]time.Time{k: exp})
		}

		// Logging out: an anonymous record belongs to nobody.
		mustSave(t, st, k, session.Record{Data: []byte("x"), Expires: exp})
		s.wantSessions(t, ui, alice, nil)
		s.wantSessions(t, ui, bob, nil)
		if n, err := ui.DeleteUserSessions(ctx(t), alice); err != nil || n != 0 {
			t.Errorf("DeleteUserSessions(former owner) = %d, %v; want 0, nil", n, err)
		}
		mustLoad(t, st, k)
	})
}

// --- Lister ---

func (s *suite) testLister(t *testing.T) {
	st := s.newStore(t)
	l, ok := st.(session.Lister)
	if !ok {
		t.Skip("store does not implement session.Lister")
	}
	// '_' is a LIKE wildcard (and the only one keys may contain): a store
	// that does not escape the prefix also lists the decoy, whose prefix
	// differs from the real one exactly there.
	base := keyPrefix + randString(t, 10)
	prefix := base + "_:"
	decoyPrefix := base + "A:"
	want := map[string]session.RecordInfo{}
	user := "storetest-lister-" + randString(t, 12)
	for i := 0; i < 3; i++ {
		k := prefix + randString(t, 12)
		s.cleanup(t, st, k)
		info := session.RecordInfo{Key: k, Expires: s.now().Add(longTTL - time.Duration(i)*time.Hour)}
		if i != 1 { // one anonymous record
			info.UserID = user
		}
		mustSave(t, st, k, session.Record{Data: []byte("listed"), Expires: info.Expires, UserID: info.UserID})
		want[k] = info
	}
	decoy := decoyPrefix + randString(t, 12)
	s.cleanup(t, st, decoy)
	mustSave(t, st, decoy, session.Record{Data: []byte("decoy"), Expires: s.now().Add(longTTL), UserID: user})
	exp := s.shortLived(t, func(exp time.Time) bool {
		k := prefix + randString(t, 12)
		s.cleanup(t, st, k)
		mustSave(t, st, k, session.Record{Data: []byte("expired"), Expires: exp, UserID: user})
		return stillLive(t, st, k)
	})
	s.expire(t, exp)

	check := func(t *testing.T, what string, got []session.RecordInfo, wantN int) {
		t.Helper()
		if len(got) != wantN {
			t.Errorf("%s returned %d records; want %d: %+v", what, len(got), wantN, got)
		}
		seen := map[string]bool{}
		for _, info := range got {
			w, ok := want[info.Key]
			if !ok || seen[info.Key] {
				t.Errorf("%s lists %q: not a live record under the prefix, or listed twice", what, info.Key)
				continue
			}
			seen[info.Key] = true
			if info.UserID != w.UserID && !(s.h.NoUserID && info.UserID == "") {
				t.Errorf("%s: %q has UserID %q; want %q", what, info.Key, info.UserID, w.UserID)
			}
			if !(s.h.NoExpires && info.Expires.IsZero()) {
				s.checkExpires(t, what+": Expires of "+info.Key, info.Expires, w.Expires)
			}
		}
	}
	t.Run("Prefix", func(t *testing.T) {
		got, err := l.ListSessions(ctx(t), prefix, 0)
		if err != nil {
			t.Fatalf("ListSessions(%q, 0): %v", prefix, err)
		}
		check(t, "ListSessions(prefix, 0)", got, len(want))
	})
	t.Run("Limit", func(t *testing.T) {
		got, err := l.ListSessions(ctx(t), prefix, 2)
		if err != nil {
			t.Fatalf("ListSessions(%q, 2): %v", prefix, err)
		}
		check(t, "ListSessions(prefix, 2)", got, 2)
		got, err = l.ListSessions(ctx(t), "", 1)
		if err != nil {
			t.Fatalf("ListSessions(\"\", 1): %v", err)
		}
		if len(got) != 1 {
			t.Errorf("ListSessions(\"\", 1) returned %d records; want 1", len(got))
		}
	})
	t.Run("NoMatch", func(t *testing.T) {
		got, err := l.ListSessions(ctx(t), base+"-none:", 0)
		if err != nil || len(got) != 0 {
			t.Errorf("ListSessions(unused prefix) = %+v, %v; want none", got, err)
		}
	})
}
