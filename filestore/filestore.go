// Package filestore is a session.Store that keeps one file per session in a
// directory: no server to run, sessions survive restarts, and several
// processes on one host may share the directory.
//
// # Layout
//
//	dir/<sha256(key) in hex>          one record (format below), mode 0600
//	dir/.tmp-*                        a record being written
//	dir/users/<sha256(user)>/<file>   empty marker: the record <file> is the user's
//	dir/locks/<nn>.lock               advisory lock files
//	dir/locks/<sha256(key)>.lock      a Session.Lock held (see Lock)
//
// File names are hashes, so a key is never used as a path. Writes go to a
// temporary file in dir and are renamed over the record, so readers see the
// old or the new record, never half of one; Load takes no lock.
//
// # Locking
//
// Writers of one key are serialised by one of 64 lock stripes: a mutex within
// the process plus flock(2) on the stripe's lock file, so SaveIfVersion is
// safe across processes on Linux, macOS and the BSDs. Elsewhere the flock
// half is missing and only one process may write to a directory. The lock
// is advisory and local: do not share the directory over NFS.
//
// # Expiry
//
// Expired records are invisible at once. Nothing deletes them in the
// background: call DeleteExpired from a timer or a cron job (it also removes
// corrupt files and temporary files left by a crash).
package filestore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaskgo/session"
)

const (
	stripeCount = 64 // lock stripes; keys hash onto them
	tmpPrefix   = ".tmp-"
	usersDir    = "users"
	locksDir    = "locks"
	// tmpMaxAge is how old a temporary file must be before DeleteExpired
	// assumes its writer crashed. Writes take milliseconds.
	tmpMaxAge = time.Minute
)

// Store is a directory of session files. It implements session.Store,
// session.Updater, session.Toucher, session.Sweeper, session.UserIndex,
// session.Lister and io.Closer.
type Store struct {
	dir   string
	now   func() time.Time
	fsync bool

	stripes [stripeCount]stripe
	closed  atomic.Bool
}

// stripe serialises writers of the keys that hash onto it.
type stripe struct {
	mu sync.Mutex
	f  *os.File // lock file, opened on first use
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for every expiry decision (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithSync makes every write fsync the record file before renaming it and
// the directory after, so an acknowledged write survives a power cut. It is
// off by default: losing the last seconds of session changes in a crash is
// usually acceptable, and fsync costs milliseconds per request.
func WithSync(on bool) Option {
	return func(s *Store) { s.fsync = on }
}

// New opens the store in dir, creating it (mode 0700) if it is missing.
func New(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("filestore: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	s := &Store{dir: abs, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	for _, d := range []string{abs, filepath.Join(abs, usersDir), filepath.Join(abs, locksDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("filestore: %w", err)
		}
	}
	return s, nil
}

// Close releases the lock files. Later calls of any method return an error
// wrapping session.ErrStoreClosed. Close is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var first error
	for i := range s.stripes {
		st := &s.stripes[i]
		st.mu.Lock() // waits for a writer holding the stripe
		if st.f != nil {
			if err := st.f.Close(); err != nil && first == nil {
				first = fmt.Errorf("filestore: close: %w", err)
			}
			st.f = nil
		}
		st.mu.Unlock()
	}
	return first
}

// check reports why an operation may not run. Keys are never put in errors:
// they may be derived from session ids, which are secrets.
func (s *Store) check(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("filestore: %s: %w", op, session.ErrStoreClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	return nil
}

func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// isHashName reports whether name looks like a record file name.
func isHashName(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

func (s *Store) userDir(user string) string {
	return filepath.Join(s.dir, usersDir, hashName(user))
}

// lock takes the stripe of the record file name (a hash name) in this
// process and, where supported, across processes.
func (s *Store) lock(name string) (unlock func(), err error) {
	b, _ := hex.DecodeString(name[:2])
	st := &s.stripes[int(b[0])%stripeCount]
	st.mu.Lock()
	if s.closed.Load() {
		st.mu.Unlock()
		return nil, session.ErrStoreClosed
	}
	if st.f == nil {
		p := filepath.Join(s.dir, locksDir, fmt.Sprintf("%02d.lock", int(b[0])%stripeCount))
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			st.mu.Unlock()
			return nil, err
		}
		st.f = f
	}
	if err := flock(st.f, true); err != nil {
		st.mu.Unlock()
		return nil, fmt.Errorf("flock: %w", err)
	}
	return func() {
		_ = flock(st.f, false) // closing the file would release it too
		st.mu.Unlock()
	}, nil
}

// read returns the record in file name, nil if there is none, or an error
// wrapping ErrCorrupt. key, when not empty, must be the one it holds.
func (s *Store) read(name, key string) (*record, error) {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r, err := decode(b)
	if err != nil {
		return nil, err
	}
	if hashName(r.key) != name || (key != "" && r.key != key) {
		return nil, fmt.Errorf("%w: file holds another key", ErrCorrupt)
	}
	return r, nil
}

// Load implements session.Store. A file that cannot be decoded gives an
// error wrapping ErrCorrupt.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	if err := s.check(ctx, "load"); err != nil {
		return session.Record{}, err
	}
	r, err := s.read(hashName(key), key)
	if err != nil {
		return session.Record{}, fmt.Errorf("filestore: load: %w", err)
	}
	if r == nil || !r.live(s.now()) {
		return session.Record{}, fmt.Errorf("filestore: load: %w", session.ErrNotFound)
	}
	return session.Record{
		Data:    r.data, // freshly read: the caller's to keep
		Expires: r.expiresTime(),
		UserID:  r.user,
		Version: r.version,
	}, nil
}

// Save implements session.Store. A corrupt file under key is replaced. A
// record whose Expires is not in the future deletes the stored one.
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	_, err := s.write(ctx, "save", key, rec, false)
	return err
}

// SaveIfVersion implements session.Updater. A corrupt file counts as no
// record, so version 0 replaces it.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	return s.write(ctx, "save if version", key, rec, true)
}

func (s *Store) write(ctx context.Context, op, key string, rec session.Record, conditional bool) (uint64, error) {
	if err := s.check(ctx, op); err != nil {
		return 0, err
	}
	name := hashName(key)
	unlock, err := s.lock(name)
	if err != nil {
		return 0, fmt.Errorf("filestore: %s: %w", op, err)
	}
	defer unlock()

	now := s.now()
	old, err := s.read(name, key)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return 0, fmt.Errorf("filestore: %s: %w", op, err)
	}
	if conditional {
		var current uint64
		if old != nil && old.live(now) {
			current = old.version
		}
		if current != rec.Version {
			return 0, fmt.Errorf("filestore: %s: %w", op, session.ErrConflict)
		}
	}
	v, err := nextVersion(old)
	if err != nil {
		return 0, fmt.Errorf("filestore: %s: %w", op, err)
	}
	if !rec.Expires.After(now) {
		if err := s.remove(name, old); err != nil {
			return 0, fmt.Errorf("filestore: %s: %w", op, err)
		}
		return v, nil
	}
	b, err := encode(&record{version: v, expires: unixNano(rec.Expires), user: rec.UserID, key: key, data: rec.Data})
	if err != nil {
		return 0, fmt.Errorf("filestore: %s: %w", op, err)
	}
	// Marker first: a crash in between leaves a marker without a record,
	// which readers ignore and clean, never a record the index misses.
	if rec.UserID != "" {
		if err := s.addMarker(rec.UserID, name); err != nil {
			return 0, fmt.Errorf("filestore: %s: %w", op, err)
		}
	}
	if err := s.writeFile(name, b); err != nil {
		return 0, fmt.Errorf("filestore: %s: %w", op, err)
	}
	if old != nil && old.user != "" && old.user != rec.UserID {
		if err := s.removeMarker(old.user, name); err != nil {
			return 0, fmt.Errorf("filestore: %s: %w", op, err)
		}
	}
	return v, nil
}

// nextVersion continues the counter of an existing file. A new file starts
// at a random value, so a key that is deleted and created again does not
// reuse a version that a stale reader may hold.
func nextVersion(old *record) (uint64, error) {
	var v uint64
	if old != nil {
		v = old.version + 1
	} else {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		v = binary.BigEndian.Uint64(b[:])
	}
	if v == 0 { // 0 means "no record"
		v = 1
	}
	return v, nil
}

// writeFile atomically replaces file name with b.
func (s *Store) writeFile(name string, b []byte) (err error) {
	f, err := os.CreateTemp(s.dir, tmpPrefix+"*") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if s.fsync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), s.path(name)); err != nil {
		return err
	}
	if s.fsync {
		return syncDir(s.dir)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// remove deletes file name and the index marker of old, its decoded content
// (nil if unknown). The caller holds the stripe.
func (s *Store) remove(name string, old *record) error {
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if old != nil && old.user != "" {
		return s.removeMarker(old.user, name)
	}
	return nil
}

func (s *Store) addMarker(user, name string) error {
	dir := s.userDir(user)
	var err error
	// DeleteExpired removes empty user directories; if it wins the race
	// between MkdirAll and OpenFile, go round again.
	for attempt := 0; attempt < 3; attempt++ {
		if err = os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		var f *os.File
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE, 0o600)
		if err == nil {
			return f.Close()
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

func (s *Store) removeMarker(user, name string) error {
	err := os.Remove(filepath.Join(s.userDir(user), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete"); err != nil {
		return err
	}
	name := hashName(key)
	unlock, err := s.lock(name)
	if err != nil {
		return fmt.Errorf("filestore: delete: %w", err)
	}
	defer unlock()
	old, err := s.read(name, key)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("filestore: delete: %w", err)
	}
	if err := s.remove(name, old); err != nil {
		return fmt.Errorf("filestore: delete: %w", err)
	}
	return nil
}

// Touch implements session.Toucher. It rewrites the file with the new
// expiry, keeping Data, UserID and Version; the rewrite goes through a
// temporary file like every write, because patching the header in place
// would let a lock-free Load see a torn header.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := s.check(ctx, "touch"); err != nil {
		return err
	}
	name := hashName(key)
	unlock, err := s.lock(name)
	if err != nil {
		return fmt.Errorf("filestore: touch: %w", err)
	}
	defer unlock()
	r, err := s.read(name, key)
	if err != nil {
		return fmt.Errorf("filestore: touch: %w", err)
	}
	if r == nil || !r.live(s.now()) {
		return fmt.Errorf("filestore: touch: %w", session.ErrNotFound)
	}
	r.expires = unixNano(expires)
	b, err := encode(r)
	if err != nil {
		return fmt.Errorf("filestore: touch: %w", err)
	}
	if err := s.writeFile(name, b); err != nil {
		return fmt.Errorf("filestore: touch: %w", err)
	}
	return nil
}

// DeleteExpired implements session.Sweeper. It removes expired and corrupt
// record files (and counts both), temporary files older than a minute, and
// index markers of records that are gone.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	if err := s.check(ctx, "delete expired"); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("filestore: delete expired: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("filestore: delete expired: %w", err)
		}
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			// Temporary files are about real crashes, so real time.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > tmpMaxAge {
				os.Remove(s.path(name))
			}
			continue
		}
		if !isHashName(name) || !e.Type().IsRegular() {
			continue
		}
		// Cheap check first, so live records are not locked.
		if r, err := s.read(name, ""); err == nil && (r == nil || r.live(s.now())) {
			continue
		}
		removed, err := s.removeIfDead(name)
		if err != nil {
			return n, fmt.Errorf("filestore: delete expired: %w", err)
		}
		if removed {
			n++
		}
	}
	if err := s.sweepIndex(ctx); err != nil {
		return n, fmt.Errorf("filestore: delete expired: %w", err)
	}
	return n, nil
}

// removeIfDead removes file name if, under its lock, it is still expired or
// corrupt.
func (s *Store) removeIfDead(name string) (bool, error) {
	unlock, err := s.lock(name)
	if err != nil {
		return false, err
	}
	defer unlock()
	r, err := s.read(name, "")
	switch {
	case err != nil && !errors.Is(err, ErrCorrupt):
		return false, err
	case r == nil && err == nil: // gone meanwhile
		return false, nil
	case r != nil && r.live(s.now()): // rewritten meanwhile
		return false, nil
	}
	return true, s.remove(name, r)
}

// sweepIndex removes markers whose record is gone, expired or another
// user's, then the user directories left empty.
func (s *Store) sweepIndex(ctx context.Context) error {
	root := filepath.Join(s.dir, usersDir)
	users, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, u := range users {
		if !isHashName(u.Name()) || !u.IsDir() {
			continue
		}
		if _, err := s.userRecords(ctx, u.Name()); err != nil {
			return err
		}
		// Fails, as it should, unless the directory is empty.
		os.Remove(filepath.Join(root, u.Name()))
	}
	return nil
}

// userRecords returns the live records indexed under the user whose hashed
// id is userHash, removing markers that point nowhere.
func (s *Store) userRecords(ctx context.Context, userHash string) ([]*record, error) {
	dir := filepath.Join(s.dir, usersDir, userHash)
	markers, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*record
	for _, m := range markers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := m.Name()
		if !isHashName(name) {
			continue
		}
		r, err := s.read(name, "")
		if err == nil && r != nil && r.live(s.now()) && hashName(r.user) == userHash {
			out = append(out, r)
			continue
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		if err := s.dropStaleMarker(dir, name, userHash); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dropStaleMarker removes the marker dir/name unless, under the record's
// lock, the record turns out to be a live one of the user after all (a Save
// that created the marker but had not yet renamed the record in).
func (s *Store) dropStaleMarker(dir, name, userHash string) error {
	unlock, err := s.lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.read(name, "")
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if r != nil && hashName(r.user) == userHash && r.live(s.now()) {
		return nil
	}
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// UserSessions implements session.UserIndex. The result is sorted by key.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]session.RecordInfo, error) {
	if err := s.check(ctx, "user sessions"); err != nil {
		return nil, err
	}
	recs, err := s.userRecords(ctx, hashName(userID))
	if err != nil {
		return nil, fmt.Errorf("filestore: user sessions: %w", err)
	}
	out := make([]session.RecordInfo, 0, len(recs))
	for _, r := range recs {
		if r.user != userID { // a hash collision is not plausible, but cheap to rule out
			continue
		}
		out = append(out, session.RecordInfo{Key: r.key, UserID: r.user, Expires: r.expiresTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// DeleteUserSessions implements session.UserIndex. It counts the live
// records it deleted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	if err := s.check(ctx, "delete user sessions"); err != nil {
		return 0, err
	}
	keep := make(map[string]bool, len(except))
	for _, k := range except {
		keep[hashName(k)] = true
	}
	dir := s.userDir(userID)
	markers, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("filestore: delete user sessions: %w", err)
	}
	n := 0
	for _, m := range markers {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("filestore: delete user sessions: %w", err)
		}
		name := m.Name()
		if !isHashName(name) || keep[name] {
			continue
		}
		deleted, err := s.deleteIfOwned(name, userID)
		if err != nil {
			return n, fmt.Errorf("filestore: delete user sessions: %w", err)
		}
		if deleted {
			n++
		}
	}
	return n, nil
}

// deleteIfOwned deletes record file name if it belongs to user, and reports
// whether it was live. A marker that points elsewhere is removed.
func (s *Store) deleteIfOwned(name, user string) (bool, error) {
	unlock, err := s.lock(name)
	if err != nil {
		return false, err
	}
	defer unlock()
	r, err := s.read(name, "")
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return false, err
	}
	if r == nil || r.user != user {
		return false, s.removeMarker(user, name)
	}
	return r.live(s.now()), s.remove(name, r)
}

// ListSessions implements session.Lister. File names are hashes, so it
// reads every record file, whatever the prefix; it skips expired, corrupt
// and temporary files and files removed while it runs. The result is sorted
// by key.
func (s *Store) ListSessions(ctx context.Context, prefix string, limit int) ([]session.RecordInfo, error) {
	if err := s.check(ctx, "list sessions"); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: list sessions: %w", err)
	}
	now := s.now()
	var out []session.RecordInfo
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("filestore: list sessions: %w", err)
		}
		name := e.Name()
		if !isHashName(name) || !e.Type().IsRegular() {
			continue // temporary files, the index and lock directories
		}
		r, err := s.read(name, "")
		if errors.Is(err, ErrCorrupt) || r == nil && err == nil {
			continue // left for DeleteExpired, or deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("filestore: list sessions: %w", err)
		}
		if r.live(now) && strings.HasPrefix(r.key, prefix) {
			out = append(out, session.RecordInfo{Key: r.key, UserID: r.user, Expires: r.expiresTime()})
		}
	}
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
