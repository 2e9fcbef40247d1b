package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	mathrand "math/rand"
	"net/http"
	"sync"
	"time"
)

// maxConflictRetries bounds the optimistic retry loop of one commit. Each
// retry means another request of the same visitor committed in between, so
// reaching it takes hundreds of truly simultaneous requests.
const maxConflictRetries = 64

// newID returns a fresh session id: 256 bits from crypto/rand, base64url.
func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a predictable id
		// would be worse than a crash.
		panic("session: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validID accepts what Flask-Session issues: URL-safe base64 tokens and
// UUIDs, of sane length.
func validID(id string) bool {
	if len(id) < 16 || len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// StoreKey returns the store key of a session id.
func (m *Manager) StoreKey(id string) string {
	return StoreKey(m.cfg.KeyPrefix, id, m.cfg.PlainStoreKeys)
}

// StoreKey returns the store key of session id id: prefix followed by the
// hex SHA-256 of id, or, when plain (Config.PlainStoreKeys, Flask-Session's
// layout), by id itself.
func StoreKey(prefix, id string, plain bool) string {
	if plain {
		return prefix + id
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + hex.EncodeToString(sum[:])
}

func storeErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStore, op, err)
}

// openStored resolves a session id cookie through the store.
func (m *Manager) openStored(s *Session, value string, now time.Time) error {
	id := value
	if m.idSigner != nil {
		var err error
		if id, _, err = m.idSigner.VerifyValue(value); err != nil {
			return err
		}
	}
	if !validID(id) {
		return fmt.Errorf("%w: malformed session id", ErrUnknownID)
	}
	key := m.StoreKey(id)
	rec, err := m.cfg.Store.Load(s.req.Context(), key)
	if errors.Is(err, ErrNotFound) {
		return ErrUnknownID
	}
	if err != nil {
		s.loadErr = storeErr("load", err)
		return nil
	}
	values, err := m.cfg.Serializer.Unmarshal(rec.Data)
	if err != nil {
		return fmt.Errorf("stored record: %w", err)
	}
	if err := m.checkCreated(values, now); err != nil {
		return err
	}
	s.values = values
	s.hadCookie = true
	s.id, s.storeKey = id, key
	s.version, s.userID, s.expires = rec.Version, rec.UserID, rec.Expires
	return nil
}

func (m *Manager) cookieValueOf(id string) string {
	if m.idSigner != nil {
		return m.idSigner.SignValue(id)
	}
	return id
}

func (m *Manager) commitStored(h http.Header, s *Session) error {
	if s.loadErr != nil {
		return s.loadErr
	}
	ctx := s.req.Context()
	st := m.cfg.Store
	now := m.cfg.Now()

	if s.empty(true) {
		// Renew and Destroy mark the session modified too.
		if s.modified {
			if s.storeKey != "" {
				if err := st.Delete(ctx, s.storeKey); err != nil {
					return storeErr("delete", err)
				}
			}
			m.deleteCookie(h)
		}
		return nil
	}

	if s.renew || s.storeKey == "" {
		return m.createStored(ctx, h, s, now)
	}

	refresh := !m.cfg.DisableRefresh || m.cfg.IdleTimeout > 0
	if s.modified {
		gone, err := m.updateStored(ctx, s, now)
		if err != nil || gone {
			return err
		}
	} else if refresh {
		gone, err := m.touchStored(ctx, s, now)
		if err != nil || gone {
			return err
		}
	}
	if s.permanent() && !m.cfg.DisableRefresh {
		m.setCookie(h, m.cookieValueOf(s.id), m.cookieExpiry(s, now))
	}
	return nil
}

func (m *Manager) record(s *Session, now time.Time) (Record, error) {
	data, err := m.cfg.Serializer.Marshal(s.values)
	if err != nil {
		return Record{}, fmt.Errorf("session: cannot encode the session: %w", err)
	}
	return Record{Data: data, Expires: m.expiry(s, now), UserID: m.userIDOf(s.values)}, nil
}

// createStored writes the session under a new id (new session, Renew or a
// Destroy followed by new values) and retires the old id.
func (m *Manager) createStored(ctx context.Context, h http.Header, s *Session, now time.Time) error {
	st := m.cfg.Store
	m.stampCreated(s, now)
	rec, err := m.record(s, now)
	if err != nil {
		return err
	}
	id := newID()
	key := m.StoreKey(id)
	if u, ok := st.(Updater); ok {
		// Version 0 insists the key is new: a 256-bit collision is not
		// expected, but it must never merge two visitors.
		rec.Version, err = u.SaveIfVersion(ctx, key, rec)
	} else {
		err = st.Save(ctx, key, rec)
	}
	if err != nil {
		return storeErr("save", err)
	}
	if s.storeKey != "" {
		if err := st.Delete(ctx, s.storeKey); err != nil {
			return storeErr("delete old id", err)
		}
	}
	s.id, s.storeKey, s.version, s.userID, s.expires = id, key, rec.Version, rec.UserID, rec.Expires
	m.setCookie(h, m.cookieValueOf(id), m.cookieExpiry(s, now))
	return nil
}

// updateStored writes a modified session. With an Updater it replays this
// request's changes on top of whatever overlapping requests committed, so
// changes to different keys all survive. gone reports that the session was
// destroyed or renewed by another request meanwhile: it is not resurrected.
func (m *Manager) updateStored(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	st := m.cfg.Store
	u, ok := st.(Updater)
	if !ok {
		rec, err := m.record(s, now)
		if err != nil {
			return false, err
		}
		if err := st.Save(ctx, s.storeKey, rec); err != nil {
			return false, storeErr("save", err)
		}
		return false, nil
	}
	// Serialize this process's commits to the session: overlapping requests
	// then conflict at most once each instead of racing each other through
	// the retry loop. Other processes are still handled by the loop.
	lock := m.commitLock(s.storeKey)
	lock.Lock()
	defer lock.Unlock()
	local := s.values
	for attempt := 0; ; attempt++ {
		rec, err := m.record(s, now)
		if err != nil {
			return false, err
		}
		rec.Version = s.version
		v, err := u.SaveIfVersion(ctx, s.storeKey, rec)
		if err == nil {
			s.version, s.userID, s.expires = v, rec.UserID, rec.Expires
			return false, nil
		}
		if !errors.Is(err, ErrConflict) {
			return false, storeErr("save", err)
		}
		if attempt == maxConflictRetries {
			return false, storeErr("save", fmt.Errorf("gave up after %d conflicting concurrent writes: %w", attempt, err))
		}
		// The first conflict is usually an earlier request of this process
		// (the lock serialized them): reload at once. Later ones come from
		// other processes racing us: back off.
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return false, storeErr("save", err)
			}
		}
		cur, err := st.Load(ctx, s.storeKey)
		if errors.Is(err, ErrNotFound) {
			m.cfg.Logger.Info("session ended by a concurrent request; this request's changes are dropped", "path", pathOf(s.req))
			return true, nil
		}
		if err != nil {
			return false, storeErr("reload after conflict", err)
		}
		curValues, err := m.cfg.Serializer.Unmarshal(cur.Data)
		if err != nil {
			curValues = map[string]any{} // unreadable: this request's view wins
		}
		s.values = merge(curValues, local, s)
		s.version = cur.Version
	}
}

// commitLock returns the stripe of Manager.commitLocks guarding key.
func (m *Manager) commitLock(key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &m.commitLocks[h.Sum32()%uint32(len(m.commitLocks))]
}

// merge replays the changes recorded in s (whose values are local) on top of
// the current stored values.
func merge(current, local map[string]any, s *Session) map[string]any {
	out := current
	if s.cleared {
		out = make(map[string]any, len(local))
		if c, ok := current[KeyCreated]; ok {
			out[KeyCreated] = c
		}
	}
	if s.allChanged {
		for k, v := range local {
			out[k] = v
		}
	}
	for k := range s.changed {
		if v, ok := local[k]; ok {
			out[k] = v
		} else {
			delete(out, k)
		}
	}
	return out
}

// backoff sleeps a little, more with each attempt, with jitter so that
// competing requests spread out.
func backoff(ctx context.Context, attempt int) error {
	shift := attempt
	if shift > 8 {
		shift = 8
	}
	d := time.Duration(mathrand.Int63n(int64(50*time.Microsecond) << shift))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// touchStored moves the expiry of an unchanged session. It skips the store
// round trip when the expiry would move by less than a thousandth of the
// session's remaining window.
func (m *Manager) touchStored(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	exp := m.expiry(s, now)
	if !s.expires.IsZero() && exp.Sub(s.expires) < exp.Sub(now)/1000 {
		return false, nil
	}
	st := m.cfg.Store
	if t, ok := st.(Toucher); ok {
		err = t.Touch(ctx, s.storeKey, exp)
	} else {
		var rec Record
		if rec, err = m.record(s, now); err == nil {
			err = st.Save(ctx, s.storeKey, rec)
		}
	}
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, storeErr("touch", err)
	}
	s.expires = exp
	return false, nil
}

// UserSessions lists the stored sessions of a user (the sessions whose
// Config.UserIDKey value is userID). The store must implement UserIndex.
func (m *Manager) UserSessions(ctx context.Context, userID string) ([]SessionInfo, error) {
	ui, ok := m.cfg.Store.(UserIndex)
	if !ok {
		return nil, fmt.Errorf("%w: the store does not implement UserIndex", ErrNotSupported)
	}
	infos, err := ui.UserSessions(ctx, userID)
	if err != nil {
		return nil, storeErr("list user sessions", err)
	}
	return infos, nil
}

// DeleteUserSessions ends every stored session of userID except keep ("log
// out my other devices"); keep may be nil. It reports how many it ended.
func (m *Manager) DeleteUserSessions(ctx context.Context, userID string, keep *Session) (int, error) {
	ui, ok := m.cfg.Store.(UserIndex)
	if !ok {
		return 0, fmt.Errorf("%w: the store does not implement UserIndex", ErrNotSupported)
	}
	var except []string
	if keep != nil {
		keep.mu.Lock()
		keep.load()
		if keep.storeKey != "" {
			except = append(except, keep.storeKey)
		}
		keep.mu.Unlock()
	}
	n, err := ui.DeleteUserSessions(ctx, userID, except...)
	if err != nil {
		return n, storeErr("delete user sessions", err)
	}
	return n, nil
}

// LoadStored reads and decodes the stored session under a store key, for
// inspectors and admin tools.
func (m *Manager) LoadStored(ctx context.Context, key string) (map[string]any, Record, error) {
	if m.cfg.Store == nil {
		return nil, Record{}, fmt.Errorf("%w: no Store configured", ErrNotSupported)
	}
	rec, err := m.cfg.Store.Load(ctx, key)
	if err != nil {
		return nil, rec, err
	}
	values, err := m.cfg.Serializer.Unmarshal(rec.Data)
	return values, rec, err
}
