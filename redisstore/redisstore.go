// Package redisstore is a session.Store on Redis, for single nodes, Redis
// Cluster and Sentinel alike (any redis.UniversalClient).
//
// A session is kept as Flask-Session keeps it: the session key holds the
// encoded session as a plain Redis string with a native expiry, so a
// Flask-Session process configured with the same key prefix and
// serialization reads and writes the same entries. Everything else the
// store needs lives in separate keys that Flask-Session never looks at:
//
//	<key prefix><key>                        session data (string, PXAT expiry)
//	<index prefix>owner:{<key prefix><key>}  owner's user id (string; expires no
//	                                         earlier than the session, no later
//	                                         than its score in the user's set)
//	<index prefix>user:<user id>             the user's session keys (sorted set,
//	                                         score = until when each is recorded,
//	                                         Unix ms)
//
// The owner key carries the session key as its hash tag, so the two always
// share a hash slot and every single-session operation is one Lua script or
// one pipeline on one node, also on Redis Cluster. A key is recorded in its
// owner's set well past its expiry (indexUntil), and the owner key's expiry
// says how far: a write or Touch whose new expiry that already covers
// leaves the set alone, so a request costs one round trip per store call
// and a handful of commands (see the README's round-trip table).
//
// Versions (session.Updater) are a 64-bit hash of the stored bytes (the first
// eight bytes of SHA-1), computed by the client on Load and by Lua
// (redis.sha1hex) on SaveIfVersion, so the value needs no version field.
// Two writes of identical bytes therefore have the same version; that is
// harmless, because a conditional write can then only replace a value with
// exactly the value its writer saw.
//
// Records expire natively, so the store has no Sweeper. It requires Redis
// 7.0 or later (PEXPIRETIME, PEXPIREAT ... GT).
package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flaskgo/session"
	"github.com/redis/go-redis/v9"
)

// ErrInvalidKey is returned for a key the store cannot use: an empty key, or
// one that cannot be placed in the same Redis Cluster hash slot as its owner
// key (only possible with keys or prefixes that contain '{' or '}').
var ErrInvalidKey = errors.New("redisstore: invalid key")

// ErrNotReplicated means a write reached the primary but fewer replicas
// than WithReplicaAcks asks for acknowledged it in time: it is reported as
// failed, because a failover could still lose it.
var ErrNotReplicated = errors.New("redisstore: write not acknowledged by enough replicas")

// DefaultIndexPrefix is the prefix of the owner keys and user sets unless
// WithUserIndexPrefix says otherwise.
const DefaultIndexPrefix = "flaskgo:"

// Store is a session.Store, session.Updater, session.Toucher,
// session.UserIndex and session.Lister on Redis. It is safe for concurrent use. It does not own
// the client: closing the client is the caller's job.
type Store struct {
	client      redis.UniversalClient
	prefix      string
	indexPrefix string
	acks        int           // WithReplicaAcks: replicas that must acknowledge a write
	ackTimeout  time.Duration // WithReplicaAcks: how long a write waits for them
}

var (
	_ session.Store     = (*Store)(nil)
	_ session.Updater   = (*Store)(nil)
	_ session.Toucher   = (*Store)(nil)
	_ session.UserIndex = (*Store)(nil)
	_ session.Lister    = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithKeyPrefix puts prefix in front of every session key the store is
// given. The default is none, because the Manager already derives keys such
// as "session:<id>" (Flask-Session's layout); use it to share one Redis
// database between several applications.
func WithKeyPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithUserIndexPrefix sets the prefix of the keys the store adds next to the
// session keys: "<prefix>owner:{<session key>}" and "<prefix>user:<user id>".
// The default is DefaultIndexPrefix. The prefix must not contain '{' or '}'.
func WithUserIndexPrefix(prefix string) Option {
	return func(s *Store) { s.indexPrefix = prefix }
}

// WithReplicaAcks makes every write (Save, SaveIfVersion, Touch, Delete)
// wait until n replicas have acknowledged it, for at most timeout: Redis
// WAIT, sent in the same pipeline as the write, so on the same connection
// and in the same round trip. A write that fewer replicas acknowledged
// fails with an error wrapping ErrNotReplicated (and session.ErrStore at
// the Manager, so the request gets a 503): it may still be on the primary,
// but it was not acknowledged, so a failover can no longer lose a write the
// application was told had succeeded. Replication stays asynchronous: a
// replica that acknowledged has the write in memory. For a primary with
// replicas (a Sentinel-backed client); with a Redis Cluster client every
// write fails (WAIT would reach an arbitrary node).
func WithReplicaAcks(n int, timeout time.Duration) Option {
	return func(s *Store) { s.acks, s.ackTimeout = n, timeout }
}

// New returns a Store that keeps sessions in the Redis reached through
// client: a *redis.Client, *redis.ClusterClient, a Sentinel-backed
// *redis.Client, or anything else implementing redis.UniversalClient.
func New(client redis.UniversalClient, opts ...Option) *Store {
	s := &Store{client: client, indexPrefix: DefaultIndexPrefix}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Load returns the record under key in one round trip: a pipeline of
// MGET of the session and owner key (one slot, so one node and one atomic
// read) and PEXPIRETIME of the session key. The two are not atomic
// together: a write landing between them pairs the data with the newer
// expiry (harmless: Version still describes the data, and a conditional
// write on it conflicts), a delete makes the record read as absent.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	keys, err := s.keys(key)
	if err != nil {
		return session.Record{}, fmt.Errorf("redisstore: load: %w", err)
	}
	pipe := s.client.Pipeline()
	get := pipe.MGet(ctx, keys...)
	at := pipe.Do(ctx, "PEXPIRETIME", keys[0])
	if _, err := pipe.Exec(ctx); err != nil {
		return session.Record{}, fmt.Errorf("redisstore: load %q: %w", key, err)
	}
	vals, ms := get.Val(), at.Val()
	if len(vals) != 2 {
		return session.Record{}, fmt.Errorf("redisstore: load %q: unexpected reply %v", key, vals)
	}
	data, ok := vals[0].(string)
	expiry, _ := ms.(int64)
	if !ok || expiry == -2 {
		return session.Record{}, fmt.Errorf("redisstore: load %q: %w", key, session.ErrNotFound)
	}
	owner, _ := vals[1].(string)
	rec := session.Record{Data: []byte(data), UserID: owner, Version: version([]byte(data))}
	// A key without expiry (-1) was not written by this store or by
	// Flask-Session; it gets a zero Expires ("unknown").
	if expiry > 0 {
		rec.Expires = time.UnixMilli(expiry)
	}
	return rec, nil
}

// Save stores rec under key unconditionally, in one round trip (see the
// package README for when the user index needs more).
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error {
	_, err := s.write(ctx, "save", key, rec, "")
	return err
}

// SaveIfVersion stores rec under key only if the stored bytes still hash to
// rec.Version (rec.Version 0: only if no record exists). It takes one round
// trip and returns the version of rec.Data.
func (s *Store) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	return s.write(ctx, "save-if-version", key, rec, fmt.Sprintf("%016x", rec.Version))
}

// noVersion is the condition of a write that creates a record.
const noVersion = "0000000000000000"

// write runs saveScript. The owner key's expiry says until when the key is
// recorded in its owner's set (see indexUntil); the script extends neither
// when they already cover the new expiry, which is the usual case, and
// otherwise asks for the set update (index). A write that creates a record
// (condition noVersion) does the set update in the same pipeline instead,
// so creating a logged-in session is one round trip too: if that update
// fails, the write reports the error and the Manager never hands out the
// new id, so an unlisted session cannot be in use.
//
// In Cluster mode the set usually lives on another node; go-redis then
// sends both commands in parallel, so either may land first: the user set
// never trusts its members (see UserSessions), and drops them only by
// expiry, so the order does not matter. A conditional write that fails
// may still have recorded the key in the set, which is harmless for the
// same reason.
func (s *Store) write(ctx context.Context, op, key string, rec session.Record, cond string) (uint64, error) {
	keys, err := s.keys(key)
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	now := time.Now()
	at, until := unixMillis(rec.Expires), indexUntil(rec.Expires, now)
	live := rec.Expires.After(now)
	args := []any{rec.Data, at, rec.UserID, cond, "", ""}
	if !live {
		args[5] = "1"
	}
	calls := []*call{{script: saveScript, keys: keys, args: args}}
	if cond == noVersion && rec.UserID != "" && live {
		args[4] = until
		calls = append(calls, &call{script: userAddScript, keys: []string{s.userKey(rec.UserID)}, args: []any{key, until}})
	}
	repErr := s.run(ctx, calls)
	for _, c := range calls {
		if err := c.cmd.Err(); err != nil {
			return 0, fmt.Errorf("redisstore: %s %q: %w", op, key, err)
		}
	}
	switch res, err := calls[0].cmd.Int(); {
	case err != nil:
		return 0, fmt.Errorf("redisstore: %s %q: unexpected reply: %w", op, key, err)
	case res == 0:
		return 0, fmt.Errorf("redisstore: %s %q: %w", op, key, session.ErrConflict)
	case repErr != nil:
		return 0, fmt.Errorf("redisstore: %s %q: %w", op, key, repErr)
	case res == 2:
		if err := s.index(ctx, key, keys[1], rec.UserID, until); err != nil {
			return 0, fmt.Errorf("redisstore: %s %q: %w", op, key, err)
		}
	}
	return version(rec.Data), nil
}

// index records key in userID's set until the Unix ms until, then lets the
// owner key (ownerKey) say so by moving its expiry there, in that order: a
// failure in between leaves the owner key expiring with the session, so the
// next write or Touch asks again. Two round trips; a session needs this
// when it gets an owner and then about once per lifetime (indexUntil).
func (s *Store) index(ctx context.Context, key, ownerKey, userID string, until int64) error {
	if err := userAddScript.Run(ctx, s.client, []string{s.userKey(userID)}, key, until).Err(); err != nil {
		return fmt.Errorf("updating the user index: %w", err)
	}
	if err := extendOwnerScript.Run(ctx, s.client, []string{ownerKey}, userID, until).Err(); err != nil {
		return fmt.Errorf("updating the owner key: %w", err)
	}
	return nil
}

// Delete removes the record under key and its owner key, in one round trip.
// The key stays in its former owner's set until its recorded expiry; the
// set is never trusted without checking the owner key.
func (s *Store) Delete(ctx context.Context, key string) error {
	keys, err := s.keys(key)
	if err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	if s.acks == 0 {
		if err := s.client.Del(ctx, keys...).Err(); err != nil {
			return fmt.Errorf("redisstore: delete %q: %w", key, err)
		}
		return nil
	}
	pipe := s.client.Pipeline()
	del := pipe.Del(ctx, keys...)
	wait := s.wait(ctx, pipe, s.acks)
	_, _ = pipe.Exec(ctx)
	if err := del.Err(); err != nil {
		return fmt.Errorf("redisstore: delete %q: %w", key, err)
	}
	if err := s.replicated(wait); err != nil {
		return fmt.Errorf("redisstore: delete %q: %w", key, err)
	}
	return nil
}

// Touch moves the expiry of the record under key (PEXPIREAT; the data is not
// rewritten), in one round trip. For a session with an owner whose entry in
// the owner's set does not cover the new expiry, two more update the set
// (index): the set must never drop a live session.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	keys, err := s.keys(key)
	if err != nil {
		return fmt.Errorf("redisstore: touch: %w", err)
	}
	now := time.Now()
	expired := ""
	if !expires.After(now) {
		expired = "1"
	}
	touch := &call{script: touchScript, keys: keys, args: []any{unixMillis(expires), expired}}
	repErr := s.run(ctx, []*call{touch})
	owner, err := touch.cmd.Text()
	if err == nil || errors.Is(err, redis.Nil) {
		if repErr != nil {
			return fmt.Errorf("redisstore: touch %q: %w", key, repErr)
		}
	}
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("redisstore: touch %q: %w", key, session.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("redisstore: touch %q: %w", key, err)
	}
	if owner != "" {
		if err := s.index(ctx, key, keys[1], owner, indexUntil(expires, now)); err != nil {
			return fmt.Errorf("redisstore: touch %q: %w", key, err)
		}
	}
	return nil
}

// members returns the keys recorded in the set of userID whose recorded
// expiry has not passed, dropping the others.
func (s *Store) members(ctx context.Context, userID string) ([]string, error) {
	return userListScript.Run(ctx, s.client, []string{s.userKey(userID)}).StringSlice()
}

// UserSessions lists the live sessions owned by userID, sorted by expiry,
// in two round trips: the user's set, then one pipeline that checks every
// member against its session and owner key. A member can be stale (deleted,
// handed to another user, or added by a conditional write that lost); it is
// left out, and leaves the set when its recorded expiry passes.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]session.RecordInfo, error) {
	if userID == "" {
		return nil, nil
	}
	members, err := s.members(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("redisstore: user sessions of %q: %w", userID, err)
	}
	var (
		calls []*call
		keys  []string
	)
	for _, m := range members {
		ks, err := s.keys(m)
		if err != nil {
			continue // never written by this store
		}
		calls = append(calls, &call{script: metaScript, keys: ks})
		keys = append(keys, m)
	}
	s.read(ctx, calls)
	infos := make([]session.RecordInfo, 0, len(calls))
	for i, c := range calls {
		res, err := c.cmd.Slice()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: user sessions of %q: %q: %w", userID, keys[i], err)
		}
		if len(res) != 4 {
			return nil, fmt.Errorf("redisstore: user sessions of %q: %q: unexpected reply %v", userID, keys[i], res)
		}
		if owner, _ := res[1].(string); owner != userID {
			continue
		}
		info := session.RecordInfo{Key: keys[i], UserID: userID}
		if pttl, _ := res[0].(int64); pttl >= 0 {
			now, err := serverMillis(res[2], res[3])
			if err != nil {
				return nil, fmt.Errorf("redisstore: user sessions of %q: %w", userID, err)
			}
			info.Expires = time.UnixMilli(now + pttl)
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool {
		if !infos[i].Expires.Equal(infos[j].Expires) {
			return infos[i].Expires.Before(infos[j].Expires)
		}
		return infos[i].Key < infos[j].Key
	})
	return infos, nil
}

// DeleteUserSessions deletes the sessions owned by userID except the keys in
// except, and reports how many live sessions it deleted. Each session is
// deleted by its own script, only if its owner key still names userID (on
// Cluster there is no multi-key DEL across slots), all in one pipeline;
// the deleted keys then leave the user's set. Three round trips in all.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	members, err := s.members(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("redisstore: delete user sessions of %q: %w", userID, err)
	}
	keep := make(map[string]bool, len(except))
	for _, k := range except {
		keep[k] = true
	}
	var (
		calls []*call
		keys  []string
	)
	for _, m := range members {
		ks, err := s.keys(m)
		if keep[m] || err != nil {
			continue
		}
		calls = append(calls, &call{script: deleteIfOwnerScript, keys: ks, args: []any{userID}})
		keys = append(keys, m)
	}
	if err := s.run(ctx, calls); err != nil {
		return 0, fmt.Errorf("redisstore: delete user sessions of %q: %w", userID, err)
	}
	var deleted []any
	for i, c := range calls {
		d, err := c.cmd.Int()
		if err != nil {
			return len(deleted), fmt.Errorf("redisstore: delete user sessions of %q: %w", userID, err)
		}
		if d == 1 {
			deleted = append(deleted, keys[i])
		}
	}
	if len(deleted) > 0 {
		if err := s.client.ZRem(ctx, s.userKey(userID), deleted...).Err(); err != nil {
			return len(deleted), fmt.Errorf("redisstore: delete user sessions of %q: updating the index: %w", userID, err)
		}
	}
	return len(deleted), nil
}

// listBatch is how many keys ListSessions checks per pipeline.
const listBatch = 500

// ListSessions lists the live sessions whose key starts with prefix, sorted
// by key, at most limit of them (limit <= 0: all). It SCANs the whole
// database (every master of a Cluster) for matching keys, skipping the
// store's own owner and user keys, then reads the owner and expiry of the
// keys in pipelines of listBatch, stopping once it has limit sessions.
// Keys that are not strings are left out: this store did not write them.
// It costs a full SCAN whatever the prefix: admin tools only.
func (s *Store) ListSessions(ctx context.Context, prefix string, limit int) ([]session.RecordInfo, error) {
	keys, err := s.scan(ctx, s.prefix+prefix)
	if err != nil {
		return nil, fmt.Errorf("redisstore: list sessions: %w", err)
	}
	var infos []session.RecordInfo
	for len(keys) > 0 && (limit <= 0 || len(infos) < limit) {
		batch := keys[:min(len(keys), listBatch)]
		keys = keys[len(batch):]
		calls := make([]*call, 0, len(batch))
		names := make([]string, 0, len(batch))
		for _, dk := range batch {
			key := dk[len(s.prefix):]
			ks, err := s.keys(key)
			if err != nil {
				continue // not a key this store can have written
			}
			calls = append(calls, &call{script: listMetaScript, keys: ks})
			names = append(names, key)
		}
		s.read(ctx, calls)
		for i, c := range calls {
			res, err := c.cmd.Slice()
			if errors.Is(err, redis.Nil) {
				continue // gone meanwhile, or not a session
			}
			if err != nil {
				return nil, fmt.Errorf("redisstore: list sessions: %q: %w", names[i], err)
			}
			if len(res) != 4 {
				return nil, fmt.Errorf("redisstore: list sessions: %q: unexpected reply %v", names[i], res)
			}
			pttl, _ := res[0].(int64)
			owner, _ := res[1].(string)
			info := session.RecordInfo{Key: names[i], UserID: owner}
			if pttl >= 0 {
				now, err := serverMillis(res[2], res[3])
				if err != nil {
					return nil, fmt.Errorf("redisstore: list sessions: %w", err)
				}
				info.Expires = time.UnixMilli(now + pttl)
			}
			infos = append(infos, info)
			if limit > 0 && len(infos) == limit {
				break
			}
		}
	}
	return infos, nil
}

// scan returns the sorted, distinct Redis keys that start with prefix,
// from every master of a Cluster, without the store's owner, user and lock keys.
func (s *Store) scan(ctx context.Context, prefix string) ([]string, error) {
	match := globEscape(prefix) + "*"
	owners, users, locks := s.indexPrefix+"owner:", s.indexPrefix+"user:", s.indexPrefix+"lock:"
	var (
		mu   sync.Mutex
		keys []string
	)
	scanOne := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			ks, next, err := c.Scan(ctx, cursor, match, 1000).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			for _, k := range ks {
				if !strings.HasPrefix(k, owners) && !strings.HasPrefix(k, users) && !strings.HasPrefix(k, locks) {
					keys = append(keys, k)
				}
			}
			mu.Unlock()
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scanOne(ctx, c) })
	} else {
		err = scanOne(ctx, s.client)
	}
	if err != nil {
		return nil, fmt.Errorf("SCAN: %w", err)
	}
	sort.Strings(keys)
	// SCAN may return a key more than once.
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			out = append(out, k)
		}
	}
	return out, nil
}

// globEscape escapes the glob metacharacters of SCAN MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// call is one script invocation inside a pipeline.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// read is run for calls that change nothing: no replica acks.
func (s *Store) read(ctx context.Context, calls []*call) { _ = s.send(ctx, calls, 0) }

// run sends calls in one pipeline with EVALSHA. Calls that fail with NOSCRIPT
// (a node that restarted or never saw the script) are sent again with EVAL,
// which also caches the script on that node; only those are repeated, so no
// write runs twice. Every call's outcome, errors included, is in its cmd.
// With WithReplicaAcks the pipeline ends with WAIT, and the error says
// whether enough replicas acknowledged the calls.
func (s *Store) run(ctx context.Context, calls []*call) error { return s.send(ctx, calls, s.acks) }

// send is run, waiting for acks replicas (0: none).
func (s *Store) send(ctx context.Context, calls []*call, acks int) error {
	if len(calls) == 0 {
		return nil
	}
	if len(calls) == 1 && acks == 0 {
		c := calls[0]
		c.cmd = c.script.Run(ctx, s.client, c.keys, c.args...)
		return nil
	}
	wait := s.exec(ctx, calls, (*redis.Script).EvalSha, acks)
	var again []*call
	for _, c := range calls {
		if redis.HasErrorPrefix(c.cmd.Err(), "NOSCRIPT") {
			again = append(again, c)
		}
	}
	if len(again) > 0 {
		wait = s.exec(ctx, again, (*redis.Script).Eval, acks)
	}
	return s.replicated(wait)
}

// wait queues WAIT for acks replicas in pipe (none for 0).
func (s *Store) wait(ctx context.Context, pipe redis.Pipeliner, acks int) *redis.Cmd {
	if acks == 0 {
		return nil
	}
	return pipe.Do(ctx, "WAIT", acks, s.ackTimeout.Milliseconds())
}

// replicated checks the answer of WAIT (nil: none was asked for).
func (s *Store) replicated(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	if _, ok := s.client.(*redis.ClusterClient); ok {
		return fmt.Errorf("%w: WithReplicaAcks is not for Redis Cluster", ErrNotReplicated)
	}
	n, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("%w: WAIT: %w", ErrNotReplicated, err)
	}
	if n < int64(s.acks) {
		return fmt.Errorf("%w: %d of %d within %v", ErrNotReplicated, n, s.acks, s.ackTimeout)
	}
	return nil
}

// exec sends calls in one pipeline, then WAIT when the store asks for
// replica acks.
func (s *Store) exec(ctx context.Context, calls []*call,
	send func(*redis.Script, context.Context, redis.Scripter, []string, ...any) *redis.Cmd, acks int) *redis.Cmd {
	if len(calls) == 0 {
		return nil
	}
	pipe := s.client.Pipeline()
	for _, c := range calls {
		c.cmd = send(c.script, ctx, pipe, c.keys, c.args...)
	}
	wait := s.wait(ctx, pipe, acks)
	if _, err := pipe.Exec(ctx); err != nil {
		// go-redis v9 leaves the commands without an error when its last
		// retry to get a connection fails; a command that was never answered
		// must not read as an empty success.
		for _, c := range calls {
			if c.cmd.Err() == nil && c.cmd.Val() == nil {
				c.cmd.SetErr(err)
			}
		}
		if wait != nil && wait.Err() == nil && wait.Val() == nil {
			wait.SetErr(err)
		}
	}
	return wait
}

// keys returns the Redis session key and owner key for a store key.
func (s *Store) keys(key string) ([]string, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	dk := s.prefix + key
	ok, err := ownerKey(s.indexPrefix, dk)
	if err != nil {
		return nil, err
	}
	return []string{dk, ok}, nil
}

func (s *Store) userKey(userID string) string {
	return s.indexPrefix + "user:" + userID
}

// ownerKey returns the key holding the owner of Redis key dk. It embeds the
// part of dk that Redis Cluster hashes as its own hash tag, so that both keys
// land in one slot and one script can use both.
func ownerKey(prefix, dk string) (string, error) {
	h := hashPart(dk)
	k := prefix + "owner:{" + h + "}"
	if h != dk {
		k += dk
	}
	if h == "" || hashPart(k) != h {
		return "", fmt.Errorf("%w: %q cannot share a cluster hash slot with its owner key (braces in the key or the prefixes)", ErrInvalidKey, dk)
	}
	return k, nil
}

// hashPart returns the part of key that Redis Cluster hashes to find its
// slot: the content of the first {...} if that is not empty, else the whole
// key (the rule of keyHashSlot in Redis' cluster.c).
func hashPart(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key
				}
				return key[i+1 : j]
			}
		}
		return key
	}
	return key
}

// version is the Version of a record holding data. saveScript computes the
// same value in Lua.
func version(data []byte) uint64 {
	sum := sha1.Sum(data)
	v := binary.BigEndian.Uint64(sum[:8])
	if v == 0 {
		v = 1
	}
	return v
}

// unixMillis converts an expiry to the argument of PXAT/PEXPIREAT. Redis
// rejects values below 1; 1 is far in the past, so the key is deleted, which
// is what an expiry that has passed means.
func unixMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if ms < 1 {
		ms = 1
	}
	return ms
}

// indexUntil is the score a session expiring at expires gets in its
// owner's set, in Unix ms: the expiry plus as much again as is left of it
// at now, so that the writes and Touches that follow, each moving the
// expiry a little further, find it covered and skip the set for about a
// lifetime. A stale member lingers that much longer, unlisted.
func indexUntil(expires, now time.Time) int64 {
	at := unixMillis(expires)
	return at + max(at-now.UnixMilli(), 0)
}

// serverMillis converts the reply of TIME (seconds, microseconds) to Unix
// milliseconds.
func serverMillis(sec, usec any) (int64, error) {
	ss, _ := sec.(string)
	us, _ := usec.(string)
	s, err1 := strconv.ParseInt(ss, 10, 64)
	u, err2 := strconv.ParseInt(us, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected TIME reply %v %v", sec, usec)
	}
	return s*1000 + u/1000, nil
}
