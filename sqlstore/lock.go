package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	session "github.com/flaskgo/session"
)

var _ session.Locker = (*Store)(nil)

// Backoff of a waiting Lock: it tries again after lockMinWait, doubling up
// to lockMaxWait (each sleep drawn from [d/2, d) so waiters spread out).
const (
	lockMinWait = 2 * time.Millisecond
	lockMaxWait = 32 * time.Millisecond
)

// errLockLost is reported by an unlock whose lock had already expired: the
// critical section outlived its TTL.
var errLockLost = errors.New("the lock expired before it was released (held longer than its TTL)")

// Lock implements session.Locker. How depends on the dialect (see the
// README, "Locking"):
//
//   - PostgreSQL: pg_try_advisory_xact_lock on a 64-bit hash of the table and
//     key, inside a transaction that holds one pooled connection for the
//     lock's life, with idle_in_transaction_session_timeout set to ttl.
//   - MySQL/MariaDB: GET_LOCK(name, 0) on a dedicated connection, name a hash
//     of the table and key (64 characters), with the connection's
//     wait_timeout set to ttl rounded up to whole seconds.
//   - SQLite: a row in the table <table>_locks (created by Migrate) holding a
//     random token and an expiry on the store's clock.
//
// On PostgreSQL and MariaDB a holder whose connection closes (a crashed
// process) frees the lock at once; a holder still alive after ttl has its
// transaction rolled back or its connection closed by a timer, and a holder
// that cannot run its timer (a frozen process) is disconnected by the server
// when the idle timeout fires. On SQLite a crashed holder's row blocks the
// key until it expires. A waiting Lock tries again with a bounded backoff
// (2 to 32 ms) until ctx is done. ttl <= 0 means session.DefaultLockTTL.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("sqlstore: lock: %w", err)
	}
	if ttl <= 0 {
		ttl = session.DefaultLockTTL
	}
	try := s.tryLockTable
	switch s.d {
	case Postgres:
		try = s.tryLockPostgres
	case MySQL:
		try = s.tryLockMySQL
	}
	wait := lockMinWait
	for retry := false; ; retry = true {
		h, err := try(ctx, key, ttl, retry)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return nil, fmt.Errorf("sqlstore: lock %q: %w", key, err)
		}
		if h != nil {
			if s.d != SQLite {
				h.timer = time.AfterFunc(ttl, h.expire)
			}
			return h.unlock, nil
		}
		t := time.NewTimer(wait/2 + mrand.N(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("sqlstore: lock %q: %w", key, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockMaxWait)
	}
}

// heldLock is one lock taken by Lock.
type heldLock struct {
	mu       sync.Mutex
	done     bool // released or expired
	expired  bool // done by the TTL timer
	reported bool // the expiry was reported by an unlock
	timer    *time.Timer
	release  func(ctx context.Context) error // frees the lock; called once
	drop     func()                          // frees the lock at once when the TTL ends
}

// expire runs when the TTL ends with the lock still held.
func (h *heldLock) expire() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	h.done, h.expired = true, true
	h.drop()
}

// unlock releases the lock once; later calls return nil. An unlock that
// finds the lock expired returns an error wrapping errLockLost, once.
func (h *heldLock) unlock(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		if h.expired && !h.reported {
			h.reported = true
			return fmt.Errorf("sqlstore: unlock: %w", errLockLost)
		}
		return nil
	}
	h.done = true
	if h.timer != nil {
		h.timer.Stop()
	}
	if err := h.release(ctx); err != nil {
		return fmt.Errorf("sqlstore: unlock: %w", err)
	}
	return nil
}

// lockHash is the 32-byte identity of the lock named key in this store's
// table.
func (s *Store) lockHash(key string) [sha256.Size]byte {
	return sha256.Sum256([]byte("github.com/flaskgo/session/sqlstore lock\x00" + s.table + "\x00" + key))
}

// tryLockPostgres makes one attempt: it returns nil, nil when the lock is
// held by another session. retry says an attempt already found it busy.
func (s *Store) tryLockPostgres(ctx context.Context, key string, ttl time.Duration, retry bool) (*heldLock, error) {
	sum := s.lockHash(key)
	id := int64(binary.BigEndian.Uint64(sum[:8]))
	if retry {
		// A waiter first probes in one round trip: outside a transaction
		// the lock is released as soon as the statement ends. Only a free
		// lock is worth the three round trips of a real attempt.
		var free bool
		if err := s.db.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", id).Scan(&free); err != nil || !free {
			return nil, err
		}
	}
	// The transaction lives until unlock or the TTL, not until ctx ends (a
	// Session.Lock's ctx ends when Lock returns), but is cancelled with ctx
	// while the attempt runs.
	txCtx, cancelTx := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancelTx)
	tx, err := s.db.BeginTx(txCtx, nil)
	if err != nil {
		stop()
		cancelTx()
		return nil, err
	}
	var (
		set string
		got bool
	)
	timeout := strconv.FormatInt(max(ttl.Milliseconds(), 1), 10)
	err = tx.QueryRowContext(ctx, "SELECT set_config('idle_in_transaction_session_timeout', $1, true), pg_try_advisory_xact_lock($2)", timeout, id).Scan(&set, &got)
	if !stop() || err != nil || !got {
		_ = tx.Rollback()
		cancelTx()
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}
	return &heldLock{
		release: func(context.Context) error {
			defer cancelTx()
			// Ending the transaction releases the lock. If that fails the
			// connection is discarded, which releases it too.
			return tx.Rollback()
		},
		drop: cancelTx, // database/sql rolls back a transaction whose context ends
	}, nil
}

// mysqlLockName is the GET_LOCK name of key: 64 characters, the limit.
func (s *Store) mysqlLockName(key string) string {
	sum := s.lockHash(key)
	return "flaskgo:" + hex.EncodeToString(sum[:28])
}

// tryLockMySQL makes one attempt: it returns nil, nil when the lock is held
// by another connection.
func (s *Store) tryLockMySQL(ctx context.Context, key string, ttl time.Duration, _ bool) (*heldLock, error) {
	name := s.mysqlLockName(key)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var got sql.NullInt64
	err = conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got)
	if err == nil && !got.Valid {
		err = errors.New("GET_LOCK returned NULL")
	}
	if err != nil || got.Int64 != 1 {
		if err != nil {
			discard(conn)
		} else {
			conn.Close()
		}
		return nil, err
	}
	// A holder that cannot run its TTL timer is disconnected by the server
	// after wait_timeout seconds of silence, which frees the lock.
	secs := int64((ttl + time.Second - 1) / time.Second)
	if _, err := conn.ExecContext(ctx, "SET SESSION wait_timeout = "+strconv.FormatInt(max(secs, 1), 10)); err != nil {
		discard(conn) // frees the lock
		return nil, err
	}
	return &heldLock{
		release: func(ctx context.Context) error {
			var released sql.NullInt64
			err := conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK(?)", name).Scan(&released)
			if err == nil {
				_, err = conn.ExecContext(ctx, "SET SESSION wait_timeout = @@GLOBAL.wait_timeout")
			}
			if err != nil {
				discard(conn) // closing the connection frees the lock
				return err
			}
			conn.Close()
			if released.Int64 != 1 {
				return errLockLost // the server dropped our connection's lock
			}
			return nil
		},
		drop: func() { discard(conn) },
	}, nil
}

// discard closes the connection under conn instead of returning it to the
// pool: the way to drop a lock held by a connection whose state is unknown.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// lockTable is the table of SQLite's locks.
func lockTable(table string) string { return table + "_locks" }

// lockTableDDL creates the SQLite lock table; Migrate runs it.
func lockTableDDL(d Dialect, table string) string {
	return "CREATE TABLE IF NOT EXISTS " + d.quote(lockTable(table)) + " (" +
		d.quote("name") + " BLOB NOT NULL PRIMARY KEY, " +
		d.quote("token") + " INTEGER NOT NULL, " +
		d.quote("expires_at") + " INTEGER NOT NULL)"
}

// tryLockTable makes one attempt on the SQLite lock table: it takes the
// row of key if it is absent or expired on the store's clock, and returns
// nil, nil when a live row holds it.
func (s *Store) tryLockTable(ctx context.Context, key string, ttl time.Duration, _ bool) (*heldLock, error) {
	sum := s.lockHash(key)
	name := sum[:]
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	token := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	t := s.d.quote(lockTable(s.table))
	n, e, tk := s.d.quote("name"), s.d.quote("expires_at"), s.d.quote("token")
	now := s.now()
	res, err := s.db.ExecContext(ctx, "INSERT INTO "+t+" ("+n+", "+tk+", "+e+") VALUES (?, ?, ?) ON CONFLICT ("+n+") DO UPDATE SET "+
		tk+" = excluded."+tk+", "+e+" = excluded."+e+" WHERE "+t+"."+e+" <= ?",
		name, token, nanos(now.Add(ttl)), nanos(now))
	if err != nil {
		return nil, err
	}
	if got, err := res.RowsAffected(); err != nil || got != 1 {
		return nil, err
	}
	return &heldLock{
		release: func(ctx context.Context) error {
			res, err := s.db.ExecContext(ctx, "DELETE FROM "+t+" WHERE "+n+" = ? AND "+tk+" = ?", name, token)
			if err != nil {
				return err
			}
			if got, err := res.RowsAffected(); err != nil || got != 1 {
				if err == nil {
					err = errLockLost // expired, and perhaps taken by another
				}
				return err
			}
			return nil
		},
	}, nil
}
