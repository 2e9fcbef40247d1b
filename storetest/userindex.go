package storetest

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
