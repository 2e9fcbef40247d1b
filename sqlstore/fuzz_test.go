package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
)

// FuzzRoundTrip feeds arbitrary keys, user ids and data through SQLite: the
// store must either reject them with its own sentinel errors or give back
// exactly what was saved, and never panic.
func FuzzRoundTrip(f *testing.F) {
	f.Add("sess:abc", "alice", []byte(`{"a":1}`))
	f.Add("", "", []byte{})
	f.Add("k\x00", "u\xff", []byte{0, 1, 2})
	f.Add("ünï", "用户", []byte("\xff\xfe"))
	f.Add("k'; DROP TABLE sessions; --", `" OR 1=1`, []byte(nil))

	db, err := sql.Open("sqlite", "file:"+f.TempDir()+"/fuzz.db"+sqliteDSNParams)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	st, err := sqlstore.New(db, sqlstore.SQLite)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, key, user string, data []byte) {
		rec := session.Record{Data: data, Expires: time.Now().Add(time.Hour), UserID: user}
		err := st.Save(ctx, key, rec)
		if err != nil {
			if !errors.Is(err, sqlstore.ErrInvalidKey) && !errors.Is(err, sqlstore.ErrInvalidUserID) {
				t.Fatalf("Save(%q, user %q) = %v; want nil or a validation error", key, user, err)
			}
			if _, err := st.Load(ctx, key); !errors.Is(err, session.ErrNotFound) && !errors.Is(err, sqlstore.ErrInvalidKey) {
				t.Fatalf("Load after rejected Save = %v", err)
			}
			return
		}
		got, err := st.Load(ctx, key)
		if err != nil {
			t.Fatalf("Load(%q) = %v", key, err)
		}
		if !bytes.Equal(got.Data, data) || got.UserID != user || got.Version == 0 {
			t.Fatalf("Load(%q) = %q user %q v%d; want %q user %q", key, got.Data, got.UserID, got.Version, data, user)
		}
		if _, err := st.SaveIfVersion(ctx, key, got); err != nil {
			t.Fatalf("SaveIfVersion(loaded) = %v", err)
		}
		if user != "" {
			infos, err := st.UserSessions(ctx, user)
			found := false
			for _, in := range infos {
				found = found || in.Key == key
			}
			if err != nil || !found {
				t.Fatalf("UserSessions(%q) = %v, %v; want it to list %q", user, infos, err, key)
			}
		}
		if err := st.Delete(ctx, key); err != nil {
			t.Fatalf("Delete = %v", err)
		}
	})
}
