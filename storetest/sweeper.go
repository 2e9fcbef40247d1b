package storetest

import (
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
