package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
)

func TestNewRejectsBadOptions(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/x.db") // lazy: never connects
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		name    string
		db      *sql.DB
		dialect sqlstore.Dialect
		opts    []sqlstore.Option
	}{
		{"NilDB", nil, sqlstore.SQLite, nil},
		{"ZeroDialect", db, 0, nil},
		{"UnknownDialect", db, 42, nil},
		{"EmptyTable", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable("")}},
		{"LeadingDigit", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable("1sessions")}},
		{"Quote", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable(`s"; DROP TABLE x; --`)}},
		{"Backtick", db, sqlstore.MySQL, []sqlstore.Option{sqlstore.WithTable("s`x")}},
		{"Dot", db, sqlstore.Postgres, []sqlstore.Option{sqlstore.WithTable("public.sessions")}},
		{"Space", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable("my sessions")}},
		{"NonASCII", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable("séssions")}},
		{"TooLong", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTable(strings.Repeat("s", 49))}},
		{"NilClock", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithClock(nil)}},
		{"ZeroBatch", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithSweepBatch(0)}},
		{"NegativeBatch", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithSweepBatch(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlstore.New(tt.db, tt.dialect, tt.opts...)
			if !errors.Is(err, sqlstore.ErrInvalidOption) || st != nil {
				t.Errorf("New = %v, %v; want nil, an error wrapping ErrInvalidOption", st, err)
			}
		})
	}

	for _, name := range []string{"sessions", "_s", "Sessions_2", strings.Repeat("s", 48)} {
		st, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithTable(name))
		if err != nil || st.Table() != name {
			t.Errorf("New(WithTable(%q)) = %v; want a store on table %q", name, err, name)
		}
	}
}

// indexCount counts the indexes of table, the primary key included.
func indexCount(t *testing.T, db *sql.DB, d sqlstore.Dialect, table string) int {
	t.Helper()
	var q string
	switch d {
	case sqlstore.Postgres:
		q = "SELECT COUNT(*) FROM pg_indexes WHERE tablename = $1"
	case sqlstore.MySQL:
		q = "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?"
	case sqlstore.SQLite:
		q = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
	}
	var n int
	if err := db.QueryRow(q, table).Scan(&n); err != nil {
		t.Fatalf("count indexes: %v", err)
	}
	return n
}

func TestMigrate(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		admin := b.admin(t)
		ctx := context.Background()

		t.Run("Twice", func(t *testing.T) {
			st, db := b.newStore(t) // migrated once already
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			if n := indexCount(t, db, b.dialect, st.Table()); n != 3 {
				t.Errorf("table has %d indexes; want 3 (key, expires_at, user_id)", n)
			}
			// The table is usable, and a third Migrate keeps its rows.
			rec := session.Record{Data: []byte("kept"), Expires: time.Now().Add(time.Hour)}
			if err := st.Save(ctx, "k", rec); err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("third Migrate: %v", err)
			}
			if got, err := st.Load(ctx, "k"); err != nil || string(got.Data) != "kept" {
				t.Errorf("Load after Migrate = %q, %v; want %q", got.Data, err, "kept")
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			// Four "processes", each with its own pool, create one fresh table.
			table := randomTable(t)
			t.Cleanup(func() { dropTable(t, admin, b.dialect, table) })
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				st, err := sqlstore.New(b.open(t), b.dialect, sqlstore.WithTable(table))
				if err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					errs[i] = st.Migrate(ctx)
				}(i)
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("concurrent Migrate #%d: %v", i, err)
				}
			}
			if n := indexCount(t, admin, b.dialect, table); n != 3 {
				t.Errorf("table has %d indexes; want 3", n)
			}
		})

		t.Run("RestoresMissingIndex", func(t *testing.T) {
			st, db := b.newStore(t)
			drop := `DROP INDEX "` + st.Table() + `_user_id_idx"`
			if b.dialect == sqlstore.MySQL {
				drop = "DROP INDEX `" + st.Table() + "_user_id_idx` ON `" + st.Table() + "`"
			}
			if _, err := db.Exec(drop); err != nil {
				t.Fatal(err)
			}
			if n := indexCount(t, db, b.dialect, st.Table()); n != 2 {
				t.Fatalf("after DROP INDEX, %d indexes; want 2", n)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if n := indexCount(t, db, b.dialect, st.Table()); n != 3 {
				t.Errorf("after Migrate, %d indexes; want 3", n)
			}
		})
	})
}

// TestConcurrentCreate races SaveIfVersion(version 0) on one key: exactly
// one writer may win, and its record must be the one stored.
func TestConcurrentCreate(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st, _ := b.newStore(t)
		ctx := context.Background()
		const n = 50
		var (
			wg       sync.WaitGroup
			wins     atomic.Int32
			winner   atomic.Value
			failures = make(chan error, n)
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				data := []byte{byte(i)}
				v, err := st.SaveIfVersion(ctx, "contested", session.Record{Data: data, Expires: time.Now().Add(time.Hour)})
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store([2]uint64{uint64(i), v})
				case !errors.Is(err, session.ErrConflict):
					failures <- err
				}
			}(i)
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Errorf("SaveIfVersion: %v; want nil or ErrConflict", err)
		}
		if wins.Load() != 1 {
			t.Fatalf("%d creators won; want exactly 1", wins.Load())
		}
		w := winner.Load().([2]uint64)
		got, err := st.Load(ctx, "contested")
		if err != nil || len(got.Data) != 1 || uint64(got.Data[0]) != w[0] || got.Version != w[1] {
			t.Errorf("Load = %v (version %d), %v; want the winner's data [%d] at version %d", got.Data, got.Version, err, w[0], w[1])
		}
	})
}

// TestVersionsNotReused checks that a key's versions never repeat over its
// history, so a writer holding a version from before a delete (or expiry)
// cannot overwrite the record created afterwards.
func TestVersionsNotReused(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		st, _ := b.newStore(t, sqlstore.WithClock(clock))
		ctx := context.Background()
		rec := func(s string, ttl time.Duration) session.Record {
			return session.Record{Data: []byte(s), Expires: clock().Add(ttl)}
		}
		seen := map[uint64]string{}
		note := func(what string, v uint64) {
			t.Helper()
			if prev, dup := seen[v]; dup {
				t.Errorf("%s got version %d, already used by %s", what, v, prev)
			}
			seen[v] = what
		}

		for i := 0; i < 5; i++ {
			v, err := st.SaveIfVersion(ctx, "k", rec("a", time.Hour))
			if err != nil {
				t.Fatalf("create #%d: %v", i, err)
			}
			note("create", v)
			v2, err := st.SaveIfVersion(ctx, "k", session.Record{Data: []byte("b"), Expires: clock().Add(time.Hour), Version: v})
			if err != nil {
				t.Fatalf("update #%d: %v", i, err)
			}
			note("update", v2)
			if err := st.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SaveIfVersion(ctx, "k", rec("c", time.Hour)); err != nil {
				t.Fatal(err)
			}
			// The writer still holding v2 from before the delete must lose.
			if _, err := st.SaveIfVersion(ctx, "k", session.Record{Data: []byte("stale"), Expires: clock().Add(time.Hour), Version: v2}); !errors.Is(err, session.ErrConflict) {
				t.Errorf("SaveIfVersion(version from before Delete) = %v; want ErrConflict", err)
			}
			got, err := st.Load(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			note("recreate", got.Version)
			if err := st.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}

		// Replacing an expired row also yields a fresh version.
		v, err := st.SaveIfVersion(ctx, "e", rec("old", time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		offset.Add(int64(2 * time.Minute))
		v2, err := st.SaveIfVersion(ctx, "e", rec("new", time.Hour))
		if err != nil {
			t.Fatalf("SaveIfVersion(0) over an expired row: %v", err)
		}
		if v2 == v {
			t.Errorf("replacing an expired row kept version %d", v)
		}
		if _, err := st.SaveIfVersion(ctx, "e", session.Record{Data: []byte("stale"), Expires: clock().Add(time.Hour), Version: v}); !errors.Is(err, session.ErrConflict) {
			t.Errorf("SaveIfVersion(version of the expired row) = %v; want ErrConflict", err)
		}
	})
}

func TestDeleteExpiredInBatches(t *testing.T) {
	tests := []struct{ batch, dead, live int }{
		{3, 10, 2}, // last batch partial
		{3, 9, 2},  // last batch empty
		{1, 4, 1},
		{1000, 7, 3},
	}
	forEach(t, func(t *testing.T, b *backend) {
		for _, tt := range tests {
			var offset atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			st, _ := b.newStore(t, sqlstore.WithClock(clock), sqlstore.WithSweepBatch(tt.batch))
			ctx := context.Background()
			for i := 0; i < tt.dead; i++ {
				if err := st.Save(ctx, "dead"+string(rune('a'+i)), session.Record{Data: []byte("x"), Expires: clock().Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < tt.live; i++ {
				if err := st.Save(ctx, "live"+string(rune('a'+i)), session.Record{Data: []byte("x"), Expires: clock().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := st.DeleteExpired(ctx); err != nil || n != 0 {
				t.Errorf("batch %d: DeleteExpired before expiry = %d, %v; want 0, nil", tt.batch, n, err)
			}
			offset.Add(int64(2 * time.Minute))

			canceled, cancel := context.WithCancel(ctx)
			cancel()
			if n, err := st.DeleteExpired(canceled); !errors.Is(err, context.Canceled) || n != 0 {
				t.Errorf("batch %d: DeleteExpired(canceled) = %d, %v; want 0, context.Canceled", tt.batch, n, err)
			}

			if n, err := st.DeleteExpired(ctx); err != nil || n != tt.dead {
				t.Errorf("batch %d: DeleteExpired = %d, %v; want %d, nil", tt.batch, n, err, tt.dead)
			}
			for i := 0; i < tt.live; i++ {
				if _, err := st.Load(ctx, "live"+string(rune('a'+i))); err != nil {
					t.Errorf("batch %d: live record gone after sweep: %v", tt.batch, err)
				}
			}
			if n, err := st.DeleteExpired(ctx); err != nil || n != 0 {
				t.Errorf("batch %d: second DeleteExpired = %d, %v; want 0, nil", tt.batch, n, err)
			}
		}
	})
}

// TestTouch covers what MySQL makes tricky: it reports changed rows, not
// matched ones, so touching with the current expiry must not look missing.
func TestTouch(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		st, _ := b.newStore(t, sqlstore.WithClock(clock))
		ctx := context.Background()
		exp := clock().Add(time.Hour)
		if err := st.Save(ctx, "k", session.Record{Data: []byte("x"), Expires: exp}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := st.Touch(ctx, "k", exp); err != nil {
				t.Errorf("Touch with the current expiry #%d = %v; want nil", i+1, err)
			}
		}
		// Touching into the past ends the session.
		if err := st.Touch(ctx, "k", clock().Add(-time.Second)); err != nil {
			t.Errorf("Touch into the past = %v; want nil", err)
		}
		if _, err := st.Load(ctx, "k"); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load after Touch into the past = %v; want ErrNotFound", err)
		}
		// An expired record cannot be revived by Touch.
		if err := st.Touch(ctx, "k", clock().Add(time.Hour)); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Touch(expired) = %v; want ErrNotFound", err)
		}
	})
}

func TestInvalidInput(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st, _ := b.newStore(t)
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		badKeys := map[string]string{
			"Empty":   "",
			"TooLong": strings.Repeat("k", sqlstore.MaxKeyLen+1),
			"BadUTF8": "k\xff",
			"NUL":     "k\x00",
		}
		for name, k := range badKeys {
			if err := st.Save(ctx, k, session.Record{Data: []byte("x"), Expires: exp}); !errors.Is(err, sqlstore.ErrInvalidKey) {
				t.Errorf("%s: Save = %v; want ErrInvalidKey", name, err)
			}
			if _, err := st.SaveIfVersion(ctx, k, session.Record{Data: []byte("x"), Expires: exp}); !errors.Is(err, sqlstore.ErrInvalidKey) {
				t.Errorf("%s: SaveIfVersion = %v; want ErrInvalidKey", name, err)
			}
			if _, err := st.Load(ctx, k); !errors.Is(err, session.ErrNotFound) || !errors.Is(err, sqlstore.ErrInvalidKey) {
				t.Errorf("%s: Load = %v; want ErrNotFound and ErrInvalidKey", name, err)
			}
			if err := st.Touch(ctx, k, exp); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("%s: Touch = %v; want ErrNotFound", name, err)
			}
			if err := st.Delete(ctx, k); err != nil {
				t.Errorf("%s: Delete = %v; want nil", name, err)
			}
		}
		// The longest key fits every dialect.
		long := strings.Repeat("k", sqlstore.MaxKeyLen)
		if err := st.Save(ctx, long, session.Record{Data: []byte("x"), Expires: exp}); err != nil {
			t.Errorf("Save(%d-byte key) = %v", len(long), err)
		}

		badUsers := map[string]string{
			"TooLong": strings.Repeat("u", sqlstore.MaxUserIDLen+1),
			"BadUTF8": "u\xff",
			"NUL":     "u\x00",
		}
		for name, u := range badUsers {
			if err := st.Save(ctx, "k", session.Record{Data: []byte("x"), Expires: exp, UserID: u}); !errors.Is(err, sqlstore.ErrInvalidUserID) {
				t.Errorf("%s: Save = %v; want ErrInvalidUserID", name, err)
			}
			if got, err := st.UserSessions(ctx, u); err != nil || len(got) != 0 {
				t.Errorf("%s: UserSessions = %v, %v; want none", name, got, err)
			}
		}
		// 255 bytes of 4-byte runes minus padding: the limit is in bytes.
		longUser := strings.Repeat("\U0001F600", sqlstore.MaxUserIDLen/4) + "uuu"
		if err := st.Save(ctx, "u", session.Record{Data: []byte("x"), Expires: exp, UserID: longUser}); err != nil {
			t.Fatalf("Save(%d-byte user id) = %v", len(longUser), err)
		}
		if got, err := st.UserSessions(ctx, longUser); err != nil || len(got) != 1 || got[0].Key != "u" {
			t.Errorf("UserSessions(long user) = %v, %v; want key u", got, err)
		}
	})
}

func TestExtremeExpiry(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st, _ := b.newStore(t)
		ctx := context.Background()
		// The zero time means no expiry was set: the record is dead at once.
		if err := st.Save(ctx, "zero", session.Record{Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(ctx, "zero"); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load(record with zero Expires) = %v; want ErrNotFound", err)
		}
		// Beyond int64 nanoseconds (year 2262) the expiry is clamped.
		far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := st.Save(ctx, "far", session.Record{Data: []byte("x"), Expires: far}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Load(ctx, "far")
		if err != nil {
			t.Fatalf("Load(far future) = %v", err)
		}
		if got.Expires.Year() != 2262 {
			t.Errorf("Expires = %v; want clamped to 2262", got.Expires)
		}
		// A huge version cannot match and must not overflow the column.
		if _, err := st.SaveIfVersion(ctx, "far", session.Record{Data: []byte("y"), Expires: far, Version: 1 << 63}); !errors.Is(err, session.ErrConflict) {
			t.Errorf("SaveIfVersion(version 2^63) = %v; want ErrConflict", err)
		}
	})
}

// TestReservedTableName uses SQLite, whose private file lets the test pick a
// fixed name without clashing with parallel runs.
func TestReservedTableName(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/r.db"+sqliteDSNParams)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, name := range []string{"order", "select", "Key"} {
		st, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithTable(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("Migrate(table %q): %v", name, err)
		}
		if err := st.Save(ctx, "k", session.Record{Data: []byte(name), Expires: time.Now().Add(time.Hour), UserID: "u"}); err != nil {
			t.Fatalf("Save in table %q: %v", name, err)
		}
		if got, err := st.Load(ctx, "k"); err != nil || string(got.Data) != name {
			t.Errorf("Load from table %q = %q, %v", name, got.Data, err)
		}
	}
}
