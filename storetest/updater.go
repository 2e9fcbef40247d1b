package storetest

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
