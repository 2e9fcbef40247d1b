package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
