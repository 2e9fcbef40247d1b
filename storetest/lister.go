package storetest

import (
	"testing"
	"time"

	"github.com/flaskgo/session"
)

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
