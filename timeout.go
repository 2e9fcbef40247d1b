package session

import (
	"context"
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
	d   time.Duration
	obs Observer
}

// start begins one call: the bounded context, and the start time when
// there is an observer.
func (c calls) start(ctx context.Context) (context.Context, context.CancelFunc, time.Time) {
	bctx, cancel := bound(ctx, c.d)
	if c.obs == nil {
		return bctx, cancel, time.Time{}
	}
	return bctx, cancel, time.Now()
}

// done reports a finished call.
func (c calls) done(ctx context.Context, op string, start time.Time, err error) {
	if c.obs != nil {
		c.obs.SessionEvent(ctx, Event{Kind: EventStoreCall, Mode: ServerSide, Op: op, Outcome: outcomeOf(err), Duration: time.Since(start), Err: err})
	}
}

// The store and its capabilities as the Manager calls them, through calls.

type boundedStore struct {
	st Store
	calls
}

func (s boundedStore) Load(ctx context.Context, key string) (Record, error) {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	rec, err := s.st.Load(bctx, key)
	s.done(ctx, OpLoad, t, err)
	return rec, err
}

func (s boundedStore) Save(ctx context.Context, key string, rec Record) error {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	err := s.st.Save(bctx, key, rec)
	s.done(ctx, OpSave, t, err)
	return err
}

func (s boundedStore) Delete(ctx context.Context, key string) error {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	err := s.st.Delete(bctx, key)
	s.done(ctx, OpDelete, t, err)
	return err
}

type boundedUpdater struct {
	u Updater
	calls
}

func (s boundedUpdater) SaveIfVersion(ctx context.Context, key string, rec Record) (uint64, error) {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	v, err := s.u.SaveIfVersion(bctx, key, rec)
	s.done(ctx, OpSaveIfVersion, t, err)
	return v, err
}

type boundedToucher struct {
	t Toucher
	calls
}

func (s boundedToucher) Touch(ctx context.Context, key string, expires time.Time) error {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	err := s.t.Touch(bctx, key, expires)
	s.done(ctx, OpTouch, t, err)
	return err
}

type boundedUserIndex struct {
	ui UserIndex
	calls
}

func (s boundedUserIndex) UserSessions(ctx context.Context, userID string) ([]RecordInfo, error) {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	infos, err := s.ui.UserSessions(bctx, userID)
	s.done(ctx, OpUserSessions, t, err)
	return infos, err
}

func (s boundedUserIndex) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	bctx, cancel, t := s.start(ctx)
	defer cancel()
	n, err := s.ui.DeleteUserSessions(bctx, userID, except...)
	s.done(ctx, OpDeleteUserSessions, t, err)
	return n, err
}
