package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

// Revocation for cookie sessions (Config.Revocations). A cookie is a bearer
// token: without help from the server, a copy stays valid after logout
// until it expires. With revocation on, every cookie session carries a
// random id (KeySessionID); Destroy and Renew record the old id as revoked,
// and "log out all devices" records a user's cut-off time, in a small
// record of the Revocations store. Each request that uses a session reads
// one such record: the user's when the session has one, else the session's
// own.

// KeySessionID holds a cookie session's random id when Config.Revocations
// is set. It is hidden from Keys and Len.
const KeySessionID = "_sid"

// ErrRevoked means a cookie was rejected because its session was revoked
// (logged out, renewed, or all of its user's sessions ended).
var ErrRevoked = errors.New("session: session revoked")

type revocations struct {
	*rules
	store   Store
	updater Updater
}

func newRevocations(r *rules) *revocations {
	if r.cfg.Revocations == nil {
		return nil
	}
	c := newCalls(r.cfg)
	v := &revocations{rules: r, store: boundedStore{r.cfg.Revocations, c}}
	if u, ok := r.cfg.Revocations.(Updater); ok {
		v.updater = boundedUpdater{u, c}
	}
	return v
}

// revocationRecord is what the store keeps under a revocation key.
type revocationRecord struct {
	before int64            // user: sessions signed before this Unix second are dead
	keep   string           // user: the session id exempt from before (the one that ended the others)
	sids   map[string]int64 // revoked session ids -> when they were revoked
}

func (v *revocations) userKey(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return v.cfg.KeyPrefix + "revoked:u:" + hex.EncodeToString(sum[:16])
}

func (v *revocations) sessionKey(sid string) string {
	return v.cfg.KeyPrefix + "revoked:s:" + sid
}

// check rejects a decoded cookie session that was revoked: one store read.
func (v *revocations) check(ctx context.Context, values map[string]any, signedAt time.Time) error {
	sid, _ := values[KeySessionID].(string)
	uid := v.userIDOf(values)
	var key string
	switch {
	case uid != "":
		key = v.userKey(uid)
	case sid != "":
		key = v.sessionKey(sid)
	default:
		return nil // nothing to look up: an anonymous session from before revocation was on
	}
	rec, err := v.store.Load(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		// Failing open would let a logged-out copy back in during an outage.
		return storeErr("revocation check", err)
	}
	if uid == "" {
		return fmt.Errorf("%w: logged out", ErrRevoked)
	}
	r := decodeRevocation(rec.Data)
	if signedAt.Unix() < r.before && (sid == "" || sid != r.keep) {
		return fmt.Errorf("%w: every session of the user was ended", ErrRevoked)
	}
	if _, ok := r.sids[sid]; ok && sid != "" {
		return fmt.Errorf("%w: logged out", ErrRevoked)
	}
	return nil
}

// revokeSession records the incoming session id as revoked.
func (v *revocations) revokeSession(ctx context.Context, sid, uid string, now time.Time) error {
	if sid == "" {
		return nil
	}
	// A copy of the cookie lives at most Lifetime from its signature, which
	// is no later than now.
	exp := now.Add(v.cfg.Lifetime)
	if uid == "" {
		return v.save(ctx, v.sessionKey(sid), Record{Data: []byte("1"), Expires: exp})
	}
	return v.updateUser(ctx, uid, now, func(r *revocationRecord) { r.sids[sid] = now.Unix() })
}

// revokeUser ends every session of uid signed before now, and in now's
// second too (signatures count whole seconds, so a device that signed in
// a moment earlier in the same second would survive otherwise), except the
// session whose id is keep.
func (v *revocations) revokeUser(ctx context.Context, uid, keep string, now time.Time) error {
	return v.updateUser(ctx, uid, now, func(r *revocationRecord) {
		r.before, r.keep = now.Unix()+1, keep
	})
}

// updateUser changes a user's revocation record, conditionally when the
// store can, dropping entries older than any cookie can be.
func (v *revocations) updateUser(ctx context.Context, uid string, now time.Time, change func(*revocationRecord)) error {
	key := v.userKey(uid)
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		cur, err := v.store.Load(ctx, key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return storeErr("revocation load", err)
		}
		r := decodeRevocation(cur.Data)
		change(&r)
		oldest := now.Add(-v.cfg.Lifetime).Unix()
		for sid, at := range r.sids {
			if at < oldest {
				delete(r.sids, sid)
			}
		}
		rec := Record{Data: encodeRevocation(r), Expires: now.Add(v.cfg.Lifetime)}
		if v.updater == nil {
			return v.save(ctx, key, rec)
		}
		rec.Version = cur.Version
		if _, err = v.updater.SaveIfVersion(ctx, key, rec); err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return storeErr("revocation save", err)
		}
	}
	return storeErr("revocation save", fmt.Errorf("gave up after %d conflicting writes", maxConflictRetries))
}

func (v *revocations) save(ctx context.Context, key string, rec Record) error {
	if err := v.store.Save(ctx, key, rec); err != nil {
		return storeErr("revocation save", err)
	}
	return nil
}

func encodeRevocation(r revocationRecord) []byte {
	sids := make(map[string]any, len(r.sids))
	for k, at := range r.sids {
		sids[k] = at
	}
	data, _ := taggedjson.Marshal(map[string]any{"before": r.before, "keep": r.keep, "sids": sids})
	return data
}

// decodeRevocation reads a record; an unreadable one counts as empty.
func decodeRevocation(data []byte) revocationRecord {
	r := revocationRecord{sids: map[string]int64{}}
	if len(data) == 0 {
		return r
	}
	m, err := taggedjson.Unmarshal(data)
	if err != nil {
		return r
	}
	if n, ok := toBigInt(m["before"]); ok && n.IsInt64() {
		r.before = n.Int64()
	}
	r.keep, _ = m["keep"].(string)
	if sids, ok := m["sids"].(map[string]any); ok {
		for k, at := range sids {
			if n, ok := toBigInt(at); ok && n.IsInt64() {
				r.sids[k] = n.Int64()
			}
		}
	}
	return r
}

// newSessionID returns a cookie session id: 128 bits from crypto/rand.
func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
