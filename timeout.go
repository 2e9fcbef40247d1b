package session

import (
	"context"
	"strings"
	"time"
)

// DefaultStoreTimeout is Config.StoreTimeout's default.
const DefaultStoreTimeout = 500 * time.Millisecond

// bound returns ctx limited to d (d <= 0: unlimited).
func bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// calls bounds every store call by Config.StoreTimeout, so that a stalled
// store answers a clear error quickly instead of holding the request, and
// reports it to the Observer. The wrappers below are written out, without
// closures, so that a call costs no allocation beyond the bound's.
type calls struct {
	d     time.Duration
	obs   Observer
	spans SpanObserver // obs, when it implements SpanObserver
	// plainPrefix is the key prefix under PlainStoreKeys, where a store key
	// is the prefix and the raw id, and a store's error that names the key
	// names the id: the wrappers redact it (redactKey) before the error
	// reaches the Observer or the caller.
	plainPrefix string
	plain       bool
}

func newCalls(cfg *Config) calls {
	spans, _ := cfg.Observer.(SpanObserver)
	return calls{d: cfg.StoreTimeout, obs: cfg.Observer, spans: spans, plainPrefix: cfg.KeyPrefix, plain: cfg.PlainStoreKeys}
}

// start begins one call: the context to report it with (a SpanObserver's),
// the bounded context to make it with, and the start time when there is an
// observer.
func (c calls) start(ctx context.Context, op string) (context.Context, context.Context, context.CancelFunc, time.Time) {
	if c.spans != nil {
		ctx = c.spans.SpanStart(ctx, EventStoreCall, op)
	}
	bctx, cancel := bound(ctx, c.d)
	if c.obs == nil {
		return ctx, bctx, cancel, time.Time{}
	}
	return ctx, bctx, cancel, time.Now()
}

// redactKey removes the raw id from a store error about key.
func (c calls) redactKey(err error, key string) error {
	if err != nil && c.plain {
		return redact(err, strings.TrimPrefix(key, c.plainPrefix))
	}
	return err
}

// done reports a finished call.
func (c calls) done(ctx context.Context, op string, start time.Time, err error) {
	if c.obs != nil {
		e := Event{Kind: EventStoreCall, Mode: ServerSide, Op: op, Outcome: outcomeOf(err), Duration: time.Since(start), Err: err}
		c.obs.SessionEvent(ctx, e)
		if c.spans != nil {
			c.spans.SpanEnd(ctx, e)
		}
	}
}

// The store and its capabilities as the Manager calls them, through calls.

type boundedStore struct {
	st Store
	calls
}

func (s boundedStore) Load(ctx context.Context, key string) (Record, error) {
	ctx, bctx, cancel, t := s.start(ctx, OpLoad)
	defer cancel()
	rec, err := s.st.Load(bctx, key)
	err = s.redactKey(err, key)
	s.done(ctx, OpLoad, t, err)
	return rec, err
}

func (s boundedStore) Save(ctx context.Context, key string, rec Record) error {
	ctx, bctx, cancel, t := s.start(ctx, OpSave)
	defer cancel()
	err := s.redactKey(s.st.Save(bctx, key, rec), key)
	s.done(ctx, OpSave, t, err)
	return err
}

func (s boundedStore) Delete(ctx context.Context, key string) error {
	ctx, bctx, cancel, t := s.start(ctx, OpDelete)
	defer cancel()
	err := s.redactKey(s.st.Delete(bctx, key), key)
	s.done(ctx, OpDelete, t, err)
	return err
}

type boundedUpdater struct {
	u Updater
	calls
}

func (s boundedUpdater) SaveIfVersion(ctx context.Context, key string, rec Record) (uint64, error) {
	ctx, bctx, cancel, t := s.start(ctx, OpSaveIfVersion)
	defer cancel()
	v, err := s.u.SaveIfVersion(bctx, key, rec)
	err = s.redactKey(err, key)
	s.done(ctx, OpSaveIfVersion, t, err)
	return v, err
}

type boundedToucher struct {
	t Toucher
	calls
}

func (s boundedToucher) Touch(ctx context.Context, key string, expires time.Time) error {
	ctx, bctx, cancel, t := s.start(ctx, OpTouch)
	defer cancel()
	err := s.redactKey(s.t.Touch(bctx, key, expires), key)
	s.done(ctx, OpTouch, t, err)
	return err
}

type boundedUserIndex struct {
	ui UserIndex
	calls
}

func (s boundedUserIndex) UserSessions(ctx context.Context, userID string) ([]RecordInfo, error) {
	ctx, bctx, cancel, t := s.start(ctx, OpUserSessions)
	defer cancel()
	infos, err := s.ui.UserSessions(bctx, userID)
	s.done(ctx, OpUserSessions, t, err)
	return infos, err
}

func (s boundedUserIndex) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	ctx, bctx, cancel, t := s.start(ctx, OpDeleteUserSessions)
	defer cancel()
	n, err := s.ui.DeleteUserSessions(bctx, userID, except...)
	err = redact(err, except...)
	s.done(ctx, OpDeleteUserSessions, t, err)
	return n, err
}
