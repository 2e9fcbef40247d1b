// Package memcachestore is a session.Store on memcached, through
// github.com/bradfitz/gomemcache.
//
// A session is kept as Flask-Session keeps it: the item under the session key
// holds the encoded session bytes and nothing else (flags 0), with the
// record's expiry as the item's expiration, so a Flask-Session process
// configured with the same key prefix and serialization shares the entries.
//
// Because the value may carry nothing but the session, two things a record
// has are not stored and do not come back from Load:
//
//   - Record.UserID: memcached has no place for it next to the value (and
//     no sets to index it by), so the store does not implement
//     session.UserIndex, and Load always reports UserID "".
//   - Record.Expires: memcached's classic protocol, the one gomemcache speaks,
//     does not report an item's expiration, so Load reports a zero Expires
//     ("unknown"). The item still expires on time.
//
// Versions (session.Updater) are memcached's CAS ids: SaveIfVersion is a
// "cas" command (or "add" for version 0). Touch is memcached's "touch" and
// does not change the CAS id.
//
// memcached cannot enumerate its items (there is no key scan, only the
// debug-grade "lru_crawler metadump"), so the store does not implement
// session.Lister either: sessionctl store ls cannot list it.
//
// Items expire natively, so the store has no Sweeper. memcached counts
// expirations in whole seconds: a record lives until its Expires rounded to a
// second boundary, give or take one second.
package memcachestore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/flaskgo/session"
)

// ErrInvalidKey is returned for a key memcached cannot hold: empty, longer
// than 250 bytes together with the prefix, or containing spaces or control
// characters.
var ErrInvalidKey = errors.New("memcachestore: invalid key")

// MaxKeyLen is the longest key memcached accepts, prefix included.
const MaxKeyLen = 250

// maxRelative is the longest expiration memcached reads as relative seconds;
// longer ones it reads as an absolute Unix time (REALTIME_MAXDELTA).
const maxRelative = 30 * 24 * 60 * 60

// unknownVersion is returned by SaveIfVersion when the write succeeded but
// its CAS id could not be read back (see SaveIfVersion). memcached's CAS ids
// count up from 1 and never reach it, so a later conditional write with it
// conflicts, and the caller reloads.
const unknownVersion = math.MaxUint64

// Store is a session.Store, session.Updater and session.Toucher on memcached.
// It is safe for concurrent use. It does not own the client.
//
// gomemcache takes no context: the store checks ctx before each command, and
// the client's Timeout bounds each command's network I/O.
type Store struct {
	client *memcache.Client
	prefix string
	now    func() time.Time
}

var (
	_ session.Store   = (*Store)(nil)
	_ session.Updater = (*Store)(nil)
	_ session.Toucher = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithKeyPrefix puts prefix in front of every key the store is given. The
// default is none, because the Manager already derives keys such as
// "session:<id>" (Flask-Session's layout).
func WithKeyPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New returns a Store that keeps sessions in the memcached servers of client.
func New(client *memcache.Client, opts ...Option) *Store {
	s := &Store{client: client, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Load returns the record under key: its Data, and its CAS id as Version.
// UserID and Expires are not stored and come back empty (see the package
// documentation).
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	k, err := s.key(ctx, key)
	if err != nil {
		return session.Record{}, fmt.Errorf("memcachestore: load %q: %w", key, err)
	}
	it, err := s.client.Get(k)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return session.Record{}, fmt.Errorf("memcachestore: load %q: %w", key, session.ErrNotFound)
	}
	if err != nil {
		return session.Record{}, fmt.Errorf("memcachestore: load %q: %w", key, err)
	}
	return session.Record{Data: it.Value, Version: it.CasID}, nil
}

// Save stores rec.Data under key unconditionally ("set"). rec.UserID is not
// stored.
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	k, err := s.key(ctx, key)
	if err != nil {
		return fmt.Errorf("memcachestore: save %q: %w", key, err)
	}
	if err := s.client.Set(s.item(k, rec)); err != nil {
		return fmt.Errorf("memcachestore: save %q: %w", key, err)
	}
	return nil
}

// SaveIfVersion stores rec.Data under key only if the item's CAS id still
// equals rec.Version ("cas"), or, for rec.Version 0, only if there is no item
// ("add").
//
// memcached does not answer a write with the new CAS id, so SaveIfVersion
// reads it back with a second command. If another write slipped in between
// (the bytes read back differ) or the item is already gone, it returns a
// version that matches no item, so the caller's next conditional write
// conflicts and reloads instead of overwriting what it never saw.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	k, err := s.key(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("memcachestore: save-if-version %q: %w", key, err)
	}
	it := s.item(k, rec)
	if rec.Version == 0 {
		err = s.client.Add(it)
	} else {
		it.CasID = rec.Version
		err = s.client.CompareAndSwap(it)
	}
	switch {
	case errors.Is(err, memcache.ErrNotStored), errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss):
		// add: the key exists; cas: changed (EXISTS) or gone (NOT_FOUND).
		return 0, fmt.Errorf("memcachestore: save-if-version %q: %w", key, session.ErrConflict)
	case err != nil:
		return 0, fmt.Errorf("memcachestore: save-if-version %q: %w", key, err)
	}
	// Any failure here (miss, changed bytes, network) leaves the write done
	// and only its version unknown; an error would tell the caller that the
	// session was not saved.
	got, err := s.client.Get(k)
	if err != nil || string(got.Value) != string(rec.Data) {
		return unknownVersion, nil
	}
	return got.CasID, nil
}

// Delete removes the item under key. A missing item is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	k, err := s.key(ctx, key)
	if err != nil {
		return fmt.Errorf("memcachestore: delete %q: %w", key, err)
	}
	if err := s.client.Delete(k); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("memcachestore: delete %q: %w", key, err)
	}
	return nil
}

// Touch moves the expiration of the item under key ("touch"). The data and
// the CAS id stay as they are.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	k, err := s.key(ctx, key)
	if err != nil {
		return fmt.Errorf("memcachestore: touch %q: %w", key, err)
	}
	err = s.client.Touch(k, expiration(expires, s.now()))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("memcachestore: touch %q: %w", key, session.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("memcachestore: touch %q: %w", key, err)
	}
	return nil
}

func (s *Store) item(k string, rec session.Record) *memcache.Item {
	return &memcache.Item{Key: k, Value: rec.Data, Expiration: expiration(rec.Expires, s.now())}
}

// key checks ctx (gomemcache cannot) and returns the memcached key for key.
func (s *Store) key(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	k := s.prefix + key
	if key == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(k) > MaxKeyLen {
		return "", fmt.Errorf("%w: %d bytes with the prefix, memcached allows %d", ErrInvalidKey, len(k), MaxKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return "", fmt.Errorf("%w: byte %#x at %d (no spaces or control characters)", ErrInvalidKey, k[i], i)
		}
	}
	return k, nil
}

// expiration converts an expiry to memcached's exptime: relative seconds up
// to 30 days, an absolute Unix time beyond (memcached reads any larger number
// as one), and -1, which expires the item at once, for a time that has
// passed (0 would mean "never"). Seconds are rounded up, so an item is never
// gone a whole second before its expiry.
func expiration(exp, now time.Time) int32 {
	d := exp.Sub(now)
	if d <= 0 {
		return -1
	}
	secs := d / time.Second
	if d%time.Second != 0 {
		secs++ // not (d + time.Second - 1) / time.Second: that overflows near MaxInt64
	}
	if secs <= maxRelative {
		return int32(secs)
	}
	abs := exp.Unix()
	if exp.Nanosecond() > 0 {
		abs++
	}
	if abs > math.MaxInt32 { // memcached's exptime is 32-bit (year 2038)
		abs = math.MaxInt32
	}
	return int32(abs)
}
