// Package memstore is an in-memory session.Store for one process: tests,
// development, and single-instance deployments that can afford to lose every
// session on restart.
//
// Records live in a sharded map so that concurrent requests for different
// sessions rarely wait on each other. Expired records are invisible at once
// and removed by a background sweeper (see WithSweepInterval); call Close to
// stop it.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaskgo/session"
)

// shardCount spreads lock contention; a power of two keeps the modulo cheap.
const shardCount = 32

// DefaultSweepInterval is how often the background sweeper runs unless
// WithSweepInterval says otherwise.
const DefaultSweepInterval = time.Minute

// Store is an in-memory session.Store. It also implements session.Updater,
// session.Toucher, session.Sweeper, session.UserIndex, session.Lister and
// io.Closer. The zero
// value is not usable; call New.
type Store struct {
	now      func() time.Time
	interval time.Duration
	seed     maphash.Seed

	// version hands out record versions. One counter for the whole store
	// (rather than one per key) means a key that is deleted and created again
	// never reuses a version, so a stale SaveIfVersion cannot succeed by luck.
	version atomic.Uint64

	records [shardCount]recordShard
	users   [shardCount]userShard
	locks   lockTable // see Lock

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{} // closed when the sweeper goroutine has returned
}

type recordShard struct {
	mu sync.RWMutex
	m  map[string]*entry
}

// userShard indexes keys by owner. Lock order: a record shard, then a user
// shard; never the other way round.
type userShard struct {
	mu sync.Mutex
	m  map[string]map[string]struct{} // user id → set of keys
}

// entry is immutable once stored except under its shard's write lock.
type entry struct {
	data    []byte
	expires time.Time
	user    string
	version uint64
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for every expiry decision. The default is
// time.Now. Tests use it to move time forward.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithSweepInterval sets how often the background goroutine removes expired
// records (DefaultSweepInterval if not given). Zero or a negative interval
// disables it; expired records then stay in memory, invisible, until
// DeleteExpired is called or the key is written again.
func WithSweepInterval(d time.Duration) Option {
	return func(s *Store) { s.interval = d }
}

// New returns an empty store. Unless the sweeper is disabled, it starts a
// goroutine that runs until Close.
func New(opts ...Option) *Store {
	s := &Store{
		now:      time.Now,
		interval: DefaultSweepInterval,
		seed:     maphash.MakeSeed(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	for i := range s.records {
		s.records[i].m = make(map[string]*entry)
		s.users[i].m = make(map[string]map[string]struct{})
	}
	if s.interval > 0 {
		go s.sweepLoop()
	} else {
		close(s.done)
	}
	return s
}

func (s *Store) sweepLoop() {
	defer close(s.done)
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.deleteExpired(context.Background())
		}
	}
}

// Close stops the sweeper, waits for it to return and drops every record.
// Later calls of any method return an error wrapping session.ErrStoreClosed.
// Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.done
		for i := range s.records {
			rs := &s.records[i]
			rs.mu.Lock()
			rs.m = make(map[string]*entry)
			rs.mu.Unlock()
			us := &s.users[i]
			us.mu.Lock()
			us.m = make(map[string]map[string]struct{})
			us.mu.Unlock()
		}
	})
	return nil
}

// check reports why an operation may not run. Keys are never put in errors:
// they may be derived from session ids, which are secrets.
func (s *Store) check(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("memstore: %s: %w", op, session.ErrStoreClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

func (s *Store) recordShard(key string) *recordShard {
	return &s.records[maphash.String(s.seed, key)%shardCount]
}

func (s *Store) userShard(user string) *userShard {
	return &s.users[maphash.String(s.seed, user)%shardCount]
}

func (s *Store) live(e *entry, now time.Time) bool {
	return e != nil && e.expires.After(now)
}

// Load implements session.Store. The returned Data is the caller's to keep.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	if err := s.check(ctx, "load"); err != nil {
		return session.Record{}, err
	}
	rs := s.recordShard(key)
	rs.mu.RLock()
	e := rs.m[key]
	rs.mu.RUnlock()
	if !s.live(e, s.now()) {
		return session.Record{}, fmt.Errorf("memstore: load: %w", session.ErrNotFound)
	}
	// e is never modified in place (writers swap in a new entry), so reading
	// it after unlocking is safe.
	return session.Record{
		Data:    bytes.Clone(e.data),
		Expires: e.expires,
		UserID:  e.user,
		Version: e.version,
	}, nil
}

// Save implements session.Store. It copies rec.Data. A record whose Expires is
// not in the future replaces the stored one with nothing.
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	if err := s.check(ctx, "save"); err != nil {
		return err
	}
	rs := s.recordShard(key)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	s.put(rs, key, rec, s.now())
	return nil
}

// SaveIfVersion implements session.Updater.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := s.check(ctx, "save if version"); err != nil {
		return 0, err
	}
	rs := s.recordShard(key)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	now := s.now()
	var current uint64
	if e := rs.m[key]; s.live(e, now) {
		current = e.version
	}
	if current != rec.Version {
		return 0, fmt.Errorf("memstore: save if version: %w", session.ErrConflict)
	}
	return s.put(rs, key, rec, now), nil
}

// put stores rec under key, keeping the user index in step, and returns the
// new version. The caller holds rs.mu for writing.
func (s *Store) put(rs *recordShard, key string, rec session.Record, now time.Time) uint64 {
	v := s.version.Add(1)
	old := rs.m[key]
	if !rec.Expires.After(now) {
		if old != nil {
			s.remove(rs, key, old)
		}
		return v
	}
	rs.m[key] = &entry{
		data:    bytes.Clone(rec.Data),
		expires: rec.Expires,
		user:    rec.UserID,
		version: v,
	}
	if old != nil && old.user != "" && old.user != rec.UserID {
		s.unindex(old.user, key)
	}
	if rec.UserID != "" && (old == nil || old.user != rec.UserID) {
		us := s.userShard(rec.UserID)
		us.mu.Lock()
		set := us.m[rec.UserID]
		if set == nil {
			set = make(map[string]struct{})
			us.m[rec.UserID] = set
		}
		set[key] = struct{}{}
		us.mu.Unlock()
	}
	return v
}

// remove deletes e, stored under key, and its index entry. The caller holds
// rs.mu for writing.
func (s *Store) remove(rs *recordShard, key string, e *entry) {
	delete(rs.m, key)
	if e.user != "" {
		s.unindex(e.user, key)
	}
}

func (s *Store) unindex(user, key string) {
	us := s.userShard(user)
	us.mu.Lock()
	if set := us.m[user]; set != nil {
		delete(set, key)
		if len(set) == 0 {
			delete(us.m, user)
		}
	}
	us.mu.Unlock()
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete"); err != nil {
		return err
	}
	rs := s.recordShard(key)
	rs.mu.Lock()
	if e := rs.m[key]; e != nil {
		s.remove(rs, key, e)
	}
	rs.mu.Unlock()
	return nil
}

// Touch implements session.Toucher. It keeps Data and Version.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := s.check(ctx, "touch"); err != nil {
		return err
	}
	rs := s.recordShard(key)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e := rs.m[key]
	if !s.live(e, s.now()) {
		return fmt.Errorf("memstore: touch: %w", session.ErrNotFound)
	}
	// Swap in a copy: Load reads entries without the lock.
	touched := *e
	touched.expires = expires
	rs.m[key] = &touched
	return nil
}

// DeleteExpired implements session.Sweeper. The background sweeper does the
// same work on its own; calling it by hand is only useful when the sweeper is
// disabled.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	if err := s.check(ctx, "delete expired"); err != nil {
		return 0, err
	}
	return s.deleteExpired(ctx)
}

func (s *Store) deleteExpired(ctx context.Context) (int, error) {
	n := 0
	for i := range s.records {
		// One shard at a time, so requests wait for at most one shard's scan.
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("memstore: delete expired: %w", err)
		}
		rs := &s.records[i]
		rs.mu.Lock()
		now := s.now()
		for k, e := range rs.m {
			if !s.live(e, now) {
				s.remove(rs, k, e)
				n++
			}
		}
		rs.mu.Unlock()
	}
	return n, nil
}

// UserSessions implements session.UserIndex. The result is sorted by key.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]session.RecordInfo, error) {
	if err := s.check(ctx, "user sessions"); err != nil {
		return nil, err
	}
	now := s.now()
	var out []session.RecordInfo
	for _, k := range s.userKeys(userID) {
		rs := s.recordShard(k)
		rs.mu.RLock()
		e := rs.m[k]
		rs.mu.RUnlock()
		// The record may have changed hands since the index was read.
		if s.live(e, now) && e.user == userID {
			out = append(out, session.RecordInfo{Key: k, UserID: userID, Expires: e.expires})
		}
	}
	return out, nil
}

// userKeys returns the indexed keys of user, sorted.
func (s *Store) userKeys(user string) []string {
	us := s.userShard(user)
	us.mu.Lock()
	keys := make([]string, 0, len(us.m[user]))
	for k := range us.m[user] {
		keys = append(keys, k)
	}
	us.mu.Unlock()
	sort.Strings(keys)
	return keys
}

// DeleteUserSessions implements session.UserIndex. It counts the live
// records it deleted; expired ones of the user go too, uncounted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	if err := s.check(ctx, "delete user sessions"); err != nil {
		return 0, err
	}
	keep := make(map[string]bool, len(except))
	for _, k := range except {
		keep[k] = true
	}
	n := 0
	for _, k := range s.userKeys(userID) {
		if keep[k] {
			continue
		}
		rs := s.recordShard(k)
		rs.mu.Lock()
		if e := rs.m[k]; e != nil && e.user == userID {
			if s.live(e, s.now()) {
				n++
			}
			s.remove(rs, k, e)
		}
		rs.mu.Unlock()
	}
	return n, nil
}

// ListSessions implements session.Lister. The result is sorted by key. It
// holds one shard's read lock at a time, so it sees each shard at a moment
// of its own, not the whole store at one moment.
func (s *Store) ListSessions(ctx context.Context, prefix string, limit int) ([]session.RecordInfo, error) {
	if err := s.check(ctx, "list sessions"); err != nil {
		return nil, err
	}
	now := s.now()
	var out []session.RecordInfo
	for i := range s.records {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("memstore: list sessions: %w", err)
		}
		rs := &s.records[i]
		rs.mu.RLock()
		for k, e := range rs.m {
			if s.live(e, now) && strings.HasPrefix(k, prefix) {
				out = append(out, session.RecordInfo{Key: k, UserID: e.user, Expires: e.expires})
			}
		}
		rs.mu.RUnlock()
	}
	// Keys are spread over the shards by hash: only sorting everything
	// gives the first limit keys.
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Interface checks.
var (
	_ session.Store     = (*Store)(nil)
	_ session.Updater   = (*Store)(nil)
	_ session.Toucher   = (*Store)(nil)
	_ session.Sweeper   = (*Store)(nil)
	_ session.UserIndex = (*Store)(nil)
	_ session.Lister    = (*Store)(nil)
)
