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
// reports it to the Observer.
type calls struct {
	d   time.Duration
	obs Observer
}

// do runs one store call.
func (c calls) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	bctx, cancel := bound(ctx, c.d)
	defer cancel()
	if c.obs == nil {
		return f(bctx)
	}
	start := time.Now()
	err := f(bctx)
	c.obs.SessionEvent(ctx, Event{Kind: EventStoreCall, Mode: ServerSide, Op: op, Outcome: outcomeOf(err), Duration: time.Since(start), Err: err})
	return err
}

// The store and its capabilities as the Manager calls them, through calls.

type boundedStore struct {
	st Store
	calls
}

func (s boundedStore) Load(ctx context.Context, key string) (rec Record, err error) {
	err = s.do(ctx, OpLoad, func(ctx context.Context) (err error) { rec, err = s.st.Load(ctx, key); return err })
	return rec, err
}

func (s boundedStore) Save(ctx context.Context, key string, rec Record) error {
	return s.do(ctx, OpSave, func(ctx context.Context) error { return s.st.Save(ctx, key, rec) })
}

func (s boundedStore) Delete(ctx context.Context, key string) error {
	return s.do(ctx, OpDelete, func(ctx context.Context) error { return s.st.Delete(ctx, key) })
}

type boundedUpdater struct {
	u Updater
	calls
}

func (s boundedUpdater) SaveIfVersion(ctx context.Context, key string, rec Record) (v uint64, err error) {
	err = s.do(ctx, OpSaveIfVersion, func(ctx context.Context) (err error) { v, err = s.u.SaveIfVersion(ctx, key, rec); return err })
	return v, err
}

type boundedToucher struct {
	t Toucher
	calls
}

func (s boundedToucher) Touch(ctx context.Context, key string, expires time.Time) error {
	return s.do(ctx, OpTouch, func(ctx context.Context) error { return s.t.Touch(ctx, key, expires) })
}

type boundedUserIndex struct {
	ui UserIndex
	calls
}

func (s boundedUserIndex) UserSessions(ctx context.Context, userID string) (infos []RecordInfo, err error) {
	err = s.do(ctx, OpUserSessions, func(ctx context.Context) (err error) { infos, err = s.ui.UserSessions(ctx, userID); return err })
	return infos, err
}

func (s boundedUserIndex) DeleteUserSessions(ctx context.Context, userID string, except ...string) (n int, err error) {
	err = s.do(ctx, OpDeleteUserSessions, func(ctx context.Context) (err error) {
		n, err = s.ui.DeleteUserSessions(ctx, userID, except...)
		return err
	})
	return n, err
}
