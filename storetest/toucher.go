package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
