package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand"
	"sync"
	"time"

	"github.com/flaskgo/session/signer"
)

// maxConflictRetries bounds the optimistic retry loop of one commit. Each
// retry means another request of the same visitor committed in between, so
// reaching it takes hundreds of truly simultaneous requests.
const maxConflictRetries = 64

// serverBackend keeps sessions in a Store under random ids, as
// Flask-Session does; the cookie carries only the id (signed when
// Config.SignIDs). The store's optional capabilities are resolved once, here,
// and every call to them is bounded by Config.StoreTimeout.
type serverBackend struct {
	*rules
	store    Store
	updater  Updater   // nil: the store cannot write conditionally
	toucher  Toucher   // nil: touching rewrites the record
	users    UserIndex // nil: the store cannot list a user's sessions
	locker   Locker    // nil: Session.Lock is not supported
	idSigner *signer.Signer

	groupsMu sync.Mutex
	groups   map[string]*commitGroup // store key -> its commits under way
}

func newServerBackend(r *rules, keys [][]byte) (*serverBackend, error) {
	st, c := r.cfg.Store, newCalls(r.cfg)
	if _, ok := st.(NonBlocking); ok {
		c.d = 0 // nothing to bound
	}
	b := &serverBackend{rules: r, store: boundedStore{st, c}}
	if u, ok := st.(Updater); ok {
		b.updater = boundedUpdater{u, c}
	}
	if t, ok := st.(Toucher); ok {
		b.toucher = boundedToucher{t, c}
	}
	if ui, ok := st.(UserIndex); ok {
		b.users = boundedUserIndex{ui, c}
	}
	b.locker, _ = st.(Locker) // Lock bounds its own wait
	if r.cfg.SignIDs {
		var err error
		if b.idSigner, err = signer.New(signer.Config{Keys: keys, Salt: "flask-session"}); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *serverBackend) mode() Mode { return ServerSide }

// untouchedMayRefresh is false: a request that does not use its session
// costs no store call (unlike Flask-Session, which refreshes every request).
func (b *serverBackend) untouchedMayRefresh(string) bool { return false }

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

func (b *serverBackend) storeKey(id string) string {
	return StoreKey(b.cfg.KeyPrefix, id, b.cfg.PlainStoreKeys)
}

// detach keeps ctx's values but not its cancellation: see commit.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func storeErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStore, op, err)
}

// open resolves a session id through the store.
func (b *serverBackend) open(ctx context.Context, s *Session, token string, now time.Time) error {
	id := token
	if b.idSigner != nil {
		var err error
		if id, _, err = b.idSigner.VerifyValue(token); err != nil {
			return err
		}
	}
	if !validID(id) {
		return fmt.Errorf("%w: malformed session id", ErrUnknownID)
	}
	key := b.storeKey(id)
	rec, err := b.store.Load(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return ErrUnknownID
	}
	if err != nil {
		s.loadErr = redact(storeErr("load", err), id)
		return nil
	}
	values, err := b.cfg.Serializer.Unmarshal(rec.Data)
	if err != nil {
		return fmt.Errorf("%w: %w", errStoredRecord, err)
	}
	if err := b.checkCreated(values, now); err != nil {
		return err
	}
	s.values = values
	s.hadCookie = true
	s.id, s.storeKey = id, key
	s.version, s.expires = rec.Version, rec.Expires
	return nil
}

// cookieValue is what the cookie carries for id.
func (b *serverBackend) cookieValue(id string) string {
	if b.idSigner != nil {
		return b.idSigner.SignValue(id)
	}
	return id
}

func (b *serverBackend) commit(ctx context.Context, s *Session, now time.Time) (Token, error) {
	// The handler has finished: its changes must be stored even if the
	// client went away meanwhile. Store calls from here on keep the
	// request's values, not its cancellation (detach); every call is still
	// bounded by StoreTimeout.
	if s.loadErr != nil {
		return Token{}, s.loadErr
	}
	if b.empty(s.values, true) {
		if !s.modified() {
			return Token{}, nil
		}
		if s.storeKey != "" {
			if err := b.store.Delete(detach(ctx), s.storeKey); err != nil {
				return Token{}, storeErr("delete", err)
			}
			s.commitOp = OpRecordDeleted
		}
		return Token{Action: TokenDelete}, nil
	}
	if s.renew || s.storeKey == "" {
		return b.create(detach(ctx), s, now)
	}
	var (
		gone bool
		err  error
	)
	if _, extend := b.refresh(s.permanent(), true); s.modified() {
		gone, err = b.update(detach(ctx), s, now)
	} else if extend {
		gone, err = b.touch(ctx, s, now)
	}
	if err != nil || gone {
		return Token{}, err
	}
	// After the update: a concurrent request may have changed "_permanent".
	if resend, _ := b.refresh(s.permanent(), true); !resend {
		return Token{}, nil
	}
	return Token{Action: TokenSet, Value: b.cookieValue(s.id), Expires: b.cookieExpiry(s.values, now)}, nil
}

func (b *serverBackend) record(values map[string]any, now time.Time) (Record, error) {
	data, err := b.cfg.Serializer.Marshal(values)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", errEncode, err)
	}
	return Record{Data: data, Expires: b.expiry(values, now), UserID: b.userIDOf(values)}, nil
}

// create writes the session under a new id (new session, Renew or a
// Destroy followed by new values) and retires the old id.
func (b *serverBackend) create(ctx context.Context, s *Session, now time.Time) (Token, error) {
	b.stampDefaults(s.values, now)
	rec, err := b.record(s.values, now)
	if err != nil {
		return Token{}, err
	}
	id := newID()
	key := b.storeKey(id)
	if b.updater != nil {
		// Version 0 insists the key is new: a 256-bit collision is not
		// expected, but it must never merge two visitors.
		rec.Version, err = b.updater.SaveIfVersion(ctx, key, rec)
	} else {
		err = b.store.Save(ctx, key, rec)
	}
	if err != nil {
		return Token{}, redact(storeErr("save", err), id)
	}
	if s.storeKey != "" {
		if err := b.store.Delete(ctx, s.storeKey); err != nil {
			return Token{}, storeErr("delete old id", err)
		}
	}
	s.id, s.storeKey, s.version, s.expires = id, key, rec.Version, rec.Expires
	s.commitOp = OpRecordSaved
	return Token{Action: TokenSet, Value: b.cookieValue(id), Expires: b.cookieExpiry(s.values, now)}, nil
}

// update writes a modified session. With an Updater, this process's
// overlapping commits of one session are coalesced (see commitGroup) and
// replayed on top of whatever other processes committed, so changes to
// different keys, and Updates of one key, all survive. gone reports that the
// session was destroyed or renewed by another request meanwhile: it is not
// resurrected.
func (b *serverBackend) update(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	if b.updater == nil {
		rec, err := b.record(s.values, now)
		if err != nil {
			return false, err
		}
		if err := b.store.Save(ctx, s.storeKey, rec); err != nil {
			return false, storeErr("save", err)
		}
		s.commitOp = OpRecordSaved
		return false, nil
	}
	gone, err = b.coalesce(ctx, s, now)
	if err == nil && !gone {
		s.commitOp = OpRecordSaved
	}
	return gone, err
}

// merge replays the changes recorded in s (whose values are local) on top of
// the current stored values: a key changed by Update runs its update log on
// the current value, any other changed key takes this request's value.
func merge(current, local map[string]any, s *Session) map[string]any {
	// Update logs start from the current value, read before anything below
	// changes current (out may be current itself).
	replayed := make(map[string]any, len(s.ops))
	for k, log := range s.ops {
		base, ok := current[k]
		if v, keep := replay(log, base, ok); keep {
			replayed[k] = v
		}
	}
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
		if _, logged := s.ops[k]; logged {
			if v, ok := replayed[k]; ok {
				out[k] = v
			} else {
				delete(out, k)
			}
			continue
		}
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
	shift := min(attempt, 8)
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

// touch moves the expiry of an unchanged session. It skips the store round
// trip when the expiry would move by less than a thousandth of the
// session's remaining window.
func (b *serverBackend) touch(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	exp := b.expiry(s.values, now)
	if !s.expires.IsZero() && exp.Sub(s.expires) < exp.Sub(now)/1000 {
		return false, nil
	}
	ctx = detach(ctx)
	if b.toucher != nil {
		err = b.toucher.Touch(ctx, s.storeKey, exp)
	} else {
		var rec Record
		if rec, err = b.record(s.values, now); err == nil {
			err = b.store.Save(ctx, s.storeKey, rec)
		}
	}
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, storeErr("touch", err)
	}
	s.expires = exp
	s.commitOp = OpRecordTouched
	return false, nil
}
