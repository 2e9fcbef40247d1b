package session

import (
	"context"
	"errors"
	"time"
)

// Errors returned by stores. Stores wrap them with context; match them with errors.Is.
var (
	// ErrNotFound means the store holds no live record under the key: it never
	// existed, was deleted, or has expired.
	ErrNotFound = errors.New("session: record not found")

	// ErrConflict means a conditional write lost a race: the record changed (or
	// appeared, or vanished) after it was loaded.
	ErrConflict = errors.New("session: record changed since it was loaded")

	// ErrStoreClosed is returned by a store used after Close.
	ErrStoreClosed = errors.New("session: store is closed")
)

// Record is what a server-side store keeps for one session. Stores treat Data
// as opaque bytes; the Manager encodes and decodes it.
type Record struct {
	// Data is the encoded session.
	Data []byte
	// Expires is when the store may forget the record. Load must report
	// ErrNotFound for a record whose Expires is not after the store's clock.
	Expires time.Time
	// UserID is the owner of the session ("" when anonymous), kept for stores
	// that implement UserIndex.
	UserID string
	// Version identifies the stored state. Load and the Updater set it; a
	// store without Updater may leave it zero. It is opaque: only equality means
	// something, and 0 means "no record".
	Version uint64
}

// Store persists sessions on the server. Keys are the strings the Manager
// derives from session ids (optionally a prefix and a hash of the id); a store
// must accept any key of up to 250 bytes drawn from [A-Za-z0-9_:.-].
//
// A Store must be safe for concurrent use. A call with a cancelled context
// either succeeds or returns an error wrapping context.Canceled; it never
// reports ErrNotFound for a key it did not look up.
//
// storetest.Run checks all of this contract.
type Store interface {
	// Load returns the live record under key, or an error wrapping ErrNotFound.
	// The returned Expires is accurate to about a second.
	Load(ctx context.Context, key string) (Record, error)
	// Save stores rec under key unconditionally, replacing any record there.
	// A record whose Expires is not in the future is deleted instead.
	Save(ctx context.Context, key string, rec Record) error
	// Delete removes the record under key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Updater is implemented by stores that can write conditionally, so that two
// overlapping requests of one visitor never silently overwrite each other.
type Updater interface {
	// SaveIfVersion stores rec under key only if the stored record's Version
	// still equals rec.Version (rec.Version 0: only if there is no live record).
	// It returns the new version. If the condition fails it returns an error
	// wrapping ErrConflict and changes nothing. An expired record counts as
	// absent: version 0 may replace it, and its old version conflicts.
	SaveIfVersion(ctx context.Context, key string, rec Record) (newVersion uint64, err error)
}

// Toucher is implemented by stores that can move a record's expiry without
// rewriting its data, so read-only requests stay cheap.
type Toucher interface {
	// Touch sets the expiry of the live record under key. It returns an error
	// wrapping ErrNotFound if there is none. Touch does not change Version.
	Touch(ctx context.Context, key string, expires time.Time) error
}

// Sweeper is implemented by stores whose backend does not expire records on
// its own. The Manager never calls it; run it from a timer or a CLI.
type Sweeper interface {
	// DeleteExpired removes expired records and reports how many it removed.
	DeleteExpired(ctx context.Context) (int, error)
}

// RecordInfo describes one stored record, as a store lists it: its key,
// owner and expiry (not its data). It is a listing row; Session.Info
// describes the session of a request.
type RecordInfo struct {
	Key     string    // store key
	UserID  string    // owner
	Expires time.Time // when the record expires
}

// UserIndex is implemented by stores that can find the sessions of one user
// without scanning every record.
type UserIndex interface {
	// UserSessions lists the live sessions whose Record.UserID is userID.
	UserSessions(ctx context.Context, userID string) ([]RecordInfo, error)
	// DeleteUserSessions deletes the sessions of userID, except the keys listed
	// in except, and reports how many it deleted.
	DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error)
}

// Lister is implemented by stores that can enumerate their records, for
// admin tools such as sessionctl store ls. It is never used on a request
// path: on most backends it reads every record.
type Lister interface {
	// ListSessions returns the live records whose key starts with prefix
	// ("" lists all), at most limit of them (limit <= 0: no limit), in key
	// order where the backend can sort cheaply. UserID and Expires are as
	// Load would report them.
	ListSessions(ctx context.Context, prefix string, limit int) ([]RecordInfo, error)
}

// Locker is implemented by stores that can hold a lock across processes,
// for Session.Lock: the rare handler that needs a critical section over one
// session (Laravel's "block"). Locks are advisory: requests that do not
// call Session.Lock are not held back.
type Locker interface {
	// Lock acquires the lock named key, waiting until it is free or ctx is
	// done (then it returns an error wrapping ctx.Err()). The lock expires
	// by itself after ttl, so that a crashed holder cannot block the
	// session for ever. unlock releases it only if it is still this
	// holder's: a lock that expired and was taken by another is left alone.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error)
}

// NonBlocking is implemented by stores whose calls never wait on I/O or on
// another process (memstore): the Manager does not bound their calls with
// Config.StoreTimeout, which spares a timer per call. Session.Lock still
// bounds its wait.
type NonBlocking interface {
	NonBlocking()
}
