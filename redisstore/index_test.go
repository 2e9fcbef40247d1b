package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

// indexState reads what the user index promises about key: the expiry of
// its owner key and its score in userID's set (Unix ms; 0 when absent).
func indexState(t *testing.T, c redis.UniversalClient, s *Store, key, userID string) (owner, score int64) {
	t.Helper()
	ctx := context.Background()
	keys, err := s.keys(key)
	if err != nil {
		t.Fatal(err)
	}
	if owner = c.PExpireTime(ctx, keys[1]).Val().Milliseconds(); owner < 0 {
		owner = 0
	}
	return owner, int64(c.ZScore(ctx, s.userKey(userID), key).Val())
}

// TestIndexPromise checks the rule the skipped user-index updates rest on:
// whenever a session has an owner, its owner key expires no earlier than the
// session and no later than the session's score in the owner's set, so a
// live session is always listed. It follows one session through a create,
// writes inside and past its index entry, a Touch, a change of owner, and a
// failed set update (the user set made a string, so ZADD fails).
func TestIndexPromise(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		const key = "session:promise"
		check := func(step, user string, expires time.Time) {
			t.Helper()
			owner, score := indexState(t, c, s, key, user)
			if at := expires.UnixMilli(); owner < at || score < owner {
				t.Errorf("%s: session expires at %d, owner key at %d, score %d in %s's set", step, at, owner, score, user)
			}
			infos, err := s.UserSessions(ctx, user)
			if err != nil || len(infos) != 1 || infos[0].Key != key {
				t.Errorf("%s: UserSessions(%s) = %v, %v", step, user, infos, err)
			}
		}
		hour := time.Now().Add(time.Hour)
		v, err := s.SaveIfVersion(ctx, key, session.Record{Data: []byte("1"), Expires: hour, UserID: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		check("create", "ann", hour)
		owner0, _ := indexState(t, c, s, key, "ann")
		if owner0 <= hour.UnixMilli() {
			t.Errorf("create: owner key expires at %d, want past the session's %d (indexed ahead)", owner0, hour.UnixMilli())
		}
		// Inside the entry: nothing but the session key changes.
		later := hour.Add(30 * time.Minute)
		if v, err = s.SaveIfVersion(ctx, key, session.Record{Data: []byte("2"), Expires: later, UserID: "ann", Version: v}); err != nil {
			t.Fatal(err)
		}
		check("write inside the entry", "ann", later)
		if owner, _ := indexState(t, c, s, key, "ann"); owner != owner0 {
			t.Errorf("write inside the entry moved the owner key from %d to %d", owner0, owner)
		}
		// Past the entry: the set and the owner key move on.
		far := time.Now().Add(5 * time.Hour)
		if v, err = s.SaveIfVersion(ctx, key, session.Record{Data: []byte("3"), Expires: far, UserID: "ann", Version: v}); err != nil {
			t.Fatal(err)
		}
		check("write past the entry", "ann", far)
		farther := time.Now().Add(24 * time.Hour)
		if err := s.Touch(ctx, key, farther); err != nil {
			t.Fatal(err)
		}
		check("touch past the entry", "ann", farther)
		// A new owner: the owner key may not keep the old owner's promise.
		if v, err = s.SaveIfVersion(ctx, key, session.Record{Data: []byte("4"), Expires: hour, UserID: "bob", Version: v}); err != nil {
			t.Fatal(err)
		}
		check("new owner", "bob", hour)

		// The set update fails: the write reports it, the owner key expires
		// with the session, and the next write updates the set.
		if err := c.Set(ctx, s.userKey("cy"), "not a set", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err = s.SaveIfVersion(ctx, key, session.Record{Data: []byte("5"), Expires: hour, UserID: "cy", Version: v}); err == nil {
			t.Fatal("SaveIfVersion with a broken user set: no error")
		}
		if owner, _ := indexState(t, c, s, key, "cy"); owner != hour.UnixMilli() {
			t.Errorf("after a failed set update the owner key expires at %d, want the session's %d", owner, hour.UnixMilli())
		}
		c.Del(ctx, s.userKey("cy"))
		if _, err = s.SaveIfVersion(ctx, key, session.Record{Data: []byte("6"), Expires: later, UserID: "cy", Version: version([]byte("5"))}); err != nil {
			t.Fatal(err)
		}
		check("write after a failed set update", "cy", later)
	})
}

// TestPreviousLayout loads and updates records as the previous version of
// this store wrote them (owner key and set score equal to the session's
// expiry, written here command by command), and checks that they stay
// listed and deletable as their expiry moves on.
func TestPreviousLayout(t *testing.T) {
	forEach(t, func(t *testing.T, c redis.UniversalClient) {
		s, _ := newStore(t, c)
		ctx := context.Background()
		const key = "session:old"
		keys, err := s.keys(key)
		if err != nil {
			t.Fatal(err)
		}
		data := []byte("\x81\xa8_user_id\xa3dee")
		exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		for _, err := range []error{
			c.Do(ctx, "SET", keys[0], data, "PXAT", exp.UnixMilli()).Err(),
			c.Do(ctx, "SET", keys[1], "dee", "PXAT", exp.UnixMilli()).Err(),
			c.ZAdd(ctx, s.userKey("dee"), redis.Z{Score: float64(exp.UnixMilli()), Member: key}).Err(),
			c.PExpireAt(ctx, s.userKey("dee"), exp).Err(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		rec, err := s.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Data) != string(data) || rec.UserID != "dee" || !rec.Expires.Equal(exp) || rec.Version != version(data) {
			t.Fatalf("Load(previous layout) = %+v", rec)
		}
		later := exp.Add(time.Hour)
		if _, err := s.SaveIfVersion(ctx, key, session.Record{Data: data, Expires: later, UserID: "dee", Version: rec.Version}); err != nil {
			t.Fatal(err)
		}
		if owner, score := indexState(t, c, s, key, "dee"); owner < later.UnixMilli() || score < owner {
			t.Errorf("after an update: owner key expires at %d, score %d, want both past %d", owner, score, later.UnixMilli())
		}
		if err := s.Touch(ctx, key, later.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteUserSessions(ctx, "dee"); err != nil || n != 1 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 1", n, err)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load after DeleteUserSessions: %v", err)
		}
	})
}
