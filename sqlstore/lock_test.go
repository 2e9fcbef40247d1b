package sqlstore_test

import (
	"github.com/flaskgo/session/internal/testenv"

	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
	"github.com/flaskgo/session/storetest"
)

// lockStore builds a store on a fresh table named after this helper
// ("lock_helper_<random>"), migrated, and dropped with its lock table when
// tb ends.
func (b *backend) lockStore(tb testing.TB, db *sql.DB, opts ...sqlstore.Option) *sqlstore.Store {
	tb.Helper()
	admin := b.admin(tb)
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		tb.Fatal(err)
	}
	table := "lock_helper_" + hex.EncodeToString(r[:])
	return b.lockStoreOn(tb, admin, db, table, opts...)
}

func (b *backend) lockStoreOn(tb testing.TB, admin, db *sql.DB, table string, opts ...sqlstore.Option) *sqlstore.Store {
	tb.Helper()
	st, err := sqlstore.New(db, b.dialect, append([]sqlstore.Option{sqlstore.WithTable(table)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		dropTable(tb, admin, b.dialect, table)
		dropTable(tb, admin, b.dialect, table+"_locks")
	})
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestLocker(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.open(t)
		storetest.RunLocker(t, func(t *testing.T) session.Store {
			return b.lockStore(t, b.open(t))
		})
	})
}

// Two handles on one database are two processes: the lock excludes across
// them.
func TestLockAcrossHandles(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		a := b.lockStore(t, b.open(t))
		other, err := sqlstore.New(b.open(t), b.dialect, sqlstore.WithTable(a.Table()))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		unlock, err := a.Lock(ctx, "k:lock", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		storetest.WantLockHeld(t, other, "k:lock", 150*time.Millisecond)
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
		u, err := other.Lock(ctx, "k:lock", time.Minute)
		if err != nil {
			t.Fatalf("Lock after the other handle released it: %v", err)
		}
		if err := u(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLockHolderProcess is the holder of TestLockCrashedProcess, run in a
// child process: it takes the lock, says so, and waits to be killed.
func TestLockHolderProcess(t *testing.T) {
	dsn := os.Getenv("SQLSTORE_LOCK_HOLDER_DSN")
	if dsn == "" {
		t.Skip("only run as the child of TestLockCrashedProcess")
	}
	var b *backend
	for _, c := range backends {
		if c.name == os.Getenv("SQLSTORE_LOCK_HOLDER_BACKEND") {
			b = c
		}
	}
	db, err := sql.Open(b.driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.New(db, b.dialect, sqlstore.WithTable(os.Getenv("SQLSTORE_LOCK_HOLDER_TABLE")))
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := time.ParseDuration(os.Getenv("SQLSTORE_LOCK_HOLDER_TTL"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock(context.Background(), "k:lock", ttl); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Hour)
}

// startHolder runs TestLockHolderProcess in a child process holding the
// lock "k:lock" of table with ttl, and returns once it holds it.
func startHolder(t *testing.T, b *backend, table string, ttl time.Duration) *exec.Cmd {
	t.Helper()
	dsn, _ := b.reach()
	return testenv.StartChild(t, "TestLockHolderProcess", "locked",
		"SQLSTORE_LOCK_HOLDER_DSN="+dsn,
		"SQLSTORE_LOCK_HOLDER_BACKEND="+b.name,
		"SQLSTORE_LOCK_HOLDER_TABLE="+table,
		"SQLSTORE_LOCK_HOLDER_TTL="+ttl.String())
}

// A holder process that is killed (SIGKILL: no unlock, no timer) frees the
// lock at once on PostgreSQL and MariaDB, whose server drops the dead
// connection's locks; on SQLite its row blocks until the TTL.
func TestLockCrashedProcess(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st := b.lockStore(t, b.open(t))
		ttl := time.Minute
		if b.dialect == sqlstore.SQLite {
			ttl = time.Second
		}
		holder := startHolder(t, b, st.Table(), ttl)
		storetest.WantLockHeld(t, st, "k:lock", 150*time.Millisecond)
		if err := holder.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = holder.Wait()
		took := storetest.LockWithin(t, st, "k:lock", 10*time.Second)
		t.Logf("lock taken %v after the holder was killed (TTL %v)", took, ttl)
		if b.dialect != sqlstore.SQLite && took > 5*time.Second {
			t.Errorf("lock of a killed holder freed after %v", took)
		}
	})
}

// A holder process that is frozen (SIGSTOP: alive, its TTL timer cannot
// run) loses the lock after about its TTL: the server disconnects it
// (PostgreSQL idle_in_transaction_session_timeout, MariaDB wait_timeout),
// or its SQLite row expires.
func TestLockFrozenProcess(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st := b.lockStore(t, b.open(t))
		const ttl = time.Second
		holder := startHolder(t, b, st.Table(), ttl)
		start := time.Now()
		if err := holder.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		storetest.WantLockHeld(t, st, "k:lock", 150*time.Millisecond)
		storetest.LockWithin(t, st, "k:lock", 10*time.Second)
		took := time.Since(start)
		t.Logf("frozen holder's lock (TTL %v) taken after %v", ttl, took)
		if took < ttl-200*time.Millisecond {
			t.Errorf("frozen holder's lock (TTL %v) taken after only %v", ttl, took)
		}
	})
}

// Every backend reports a lock that expired under its holder when the
// holder unlocks.
func TestUnlockAfterTTL(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		st := b.lockStore(t, b.open(t))
		ctx := context.Background()
		unlock, err := st.Lock(ctx, "k:lock", 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		u, err := st.Lock(ctx, "k:lock", time.Minute) // takes it over
		if err != nil {
			t.Fatal(err)
		}
		if err := unlock(ctx); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("unlock after the TTL = %v; want an error saying the lock expired", err)
		}
		if err := u(ctx); err != nil {
			t.Error(err)
		}
	})
}

// An unreachable database fails Lock with its error, not with a wait that
// would read as "locked".
func TestLockBrokenDB(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		db := b.open(t)
		st := b.lockStore(t, db)
		db.Close()
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := st.Lock(c, "k:lock", time.Second); err == nil || c.Err() != nil {
			t.Errorf("Lock on a closed *sql.DB = %v; want its error at once", err)
		}
	})
}

// BenchmarkLockUnlock measures one free lock taken and released.
func BenchmarkLockUnlock(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.lockStore(b, be.open(b))
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				u, err := s.Lock(ctx, "k:lock", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if err := u(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
