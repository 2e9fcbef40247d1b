package memstore

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

func newStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s := New(opts...)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	clock := testenv.RealClock()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, WithClock(clock.Now))
		},
		Advance: clock.Advance,
	})
}

// TestConformanceRealTime runs the suite once more on the real clock. The
// background sweeper stays off: the Sweeper subtest counts what
// DeleteExpired removes.
func TestConformanceRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps; skipped in -short mode")
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, WithSweepInterval(0))
		},
		TTLResolution: 50 * time.Millisecond,
	})
}

// userIndexSize counts index entries, to check the index does not keep keys
// of records that are gone.
func (s *Store) userIndexSize() int {
	n := 0
	for i := range s.users {
		us := &s.users[i]
		us.mu.Lock()
		for _, set := range us.m {
			n += len(set)
		}
		us.mu.Unlock()
	}
	return n
}

func (s *Store) recordCount() int {
	n := 0
	for i := range s.records {
		rs := &s.records[i]
		rs.mu.RLock()
		n += len(rs.m)
		rs.mu.RUnlock()
	}
	return n
}

func TestBackgroundSweeper(t *testing.T) {
	clock := testenv.RealClock()
	s := newStore(t, WithClock(clock.Now), WithSweepInterval(5*time.Millisecond))
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		rec := session.Record{Data: []byte("x"), Expires: clock.Now().Add(time.Hour), UserID: "u" + strconv.Itoa(i%3)}
		if i%2 == 0 {
			rec.Expires = clock.Now().Add(2 * time.Hour)
		}
		if err := s.Save(ctx, "k"+strconv.Itoa(i), rec); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(90 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for s.recordCount() != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("background sweeper left %d records; want 5", s.recordCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := s.userIndexSize(); got != 5 {
		t.Errorf("user index holds %d keys after the sweep; want 5", got)
	}
}

func TestSweeperDisabled(t *testing.T) {
	clock := testenv.RealClock()
	s := newStore(t, WithClock(clock.Now), WithSweepInterval(0))
	ctx := context.Background()
	if err := s.Save(ctx, "k", session.Record{Data: []byte("x"), Expires: clock.Now().Add(time.Millisecond), UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	time.Sleep(20 * time.Millisecond)
	if n := s.recordCount(); n != 1 {
		t.Fatalf("records = %d with the sweeper disabled; want 1 (expired but kept)", n)
	}
	if _, err := s.Load(ctx, "k"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load(expired) = %v; want ErrNotFound", err)
	}
	if n, err := s.DeleteExpired(ctx); n != 1 || err != nil {
		t.Fatalf("DeleteExpired = %d, %v; want 1, nil", n, err)
	}
	if n := s.userIndexSize(); n != 0 {
		t.Errorf("user index holds %d keys; want 0", n)
	}
}

func TestCloseStopsSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	stores := make([]*Store, 20)
	for i := range stores {
		stores[i] = New(WithSweepInterval(time.Millisecond))
	}
	if n := runtime.NumGoroutine(); n < before+len(stores) {
		t.Fatalf("goroutines = %d after starting %d sweepers from %d", n, len(stores), before)
	}
	for _, s := range stores {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		select {
		case <-s.done:
		default:
			t.Fatal("Close returned before the sweeper goroutine exited")
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	// Other tests' goroutines may still be winding down; allow them a moment.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines = %d after Close; want at most %d (leak)", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClosedStore(t *testing.T) {
	s := New()
	ctx := context.Background()
	s.Close()
	tests := []struct {
		name string
		err  error
	}{
		{"Load", func() error { _, err := s.Load(ctx, "k"); return err }()},
		{"Save", s.Save(ctx, "k", session.Record{Expires: time.Now().Add(time.Hour)})},
		{"Delete", s.Delete(ctx, "k")},
		{"SaveIfVersion", func() error { _, err := s.SaveIfVersion(ctx, "k", session.Record{}); return err }()},
		{"Touch", s.Touch(ctx, "k", time.Now())},
		{"DeleteExpired", func() error { _, err := s.DeleteExpired(ctx); return err }()},
		{"UserSessions", func() error { _, err := s.UserSessions(ctx, "u"); return err }()},
		{"DeleteUserSessions", func() error { _, err := s.DeleteUserSessions(ctx, "u"); return err }()},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, session.ErrStoreClosed) {
			t.Errorf("%s after Close = %v; want ErrStoreClosed", tt.name, tt.err)
		}
	}
}

// TestVersionsNeverRepeat guards against ABA: a key deleted and created again
// must not get a version an old reader still holds.
func TestVersionsNeverRepeat(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	v1, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("a"), Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	v2, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("b"), Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v2 {
		t.Fatalf("recreated key got version %d again", v2)
	}
	if _, err := s.SaveIfVersion(ctx, "k", session.Record{Data: []byte("stale"), Expires: exp, Version: v1}); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("SaveIfVersion(old version) = %v; want ErrConflict", err)
	}
}

func TestUserIndexConsistency(t *testing.T) {
	clock := testenv.RealClock()
	s := newStore(t, WithClock(clock.Now), WithSweepInterval(0))
	ctx := context.Background()
	exp := clock.Now().Add(time.Hour)
	steps := []struct {
		name string
		do   func() error
		want int // index entries afterwards
	}{
		{"save a", func() error { return s.Save(ctx, "a", session.Record{Expires: exp, UserID: "u"}) }, 1},
		{"save a again", func() error { return s.Save(ctx, "a", session.Record{Expires: exp, UserID: "u"}) }, 1},
		{"move a", func() error { return s.Save(ctx, "a", session.Record{Expires: exp, UserID: "v"}) }, 1},
		{"anonymise a", func() error { return s.Save(ctx, "a", session.Record{Expires: exp}) }, 0},
		{"save b", func() error { return s.Save(ctx, "b", session.Record{Expires: exp, UserID: "u"}) }, 1},
		{"expire b by saving", func() error { return s.Save(ctx, "b", session.Record{Expires: clock.Now(), UserID: "u"}) }, 0},
		{"save c", func() error { return s.Save(ctx, "c", session.Record{Expires: exp, UserID: "u"}) }, 1},
		{"delete c", func() error { return s.Delete(ctx, "c") }, 0},
		{"save d", func() error { return s.Save(ctx, "d", session.Record{Expires: exp, UserID: "u"}) }, 1},
		{"delete user", func() error { _, err := s.DeleteUserSessions(ctx, "u"); return err }, 0},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.userIndexSize(); got != st.want {
			t.Fatalf("after %s: index holds %d keys; want %d", st.name, got, st.want)
		}
	}
}
