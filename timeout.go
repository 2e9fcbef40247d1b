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

// The store and its capabilities as the Manager calls them: every call
// bounded by Config.StoreTimeout, so that a stalled store answers a clear
// error quickly instead of holding the request.

type boundedStore struct {
	st Store
	d  time.Duration
}

func (s boundedStore) Load(ctx context.Context, key string) (Record, error) {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.st.Load(ctx, key)
}

func (s boundedStore) Save(ctx context.Context, key string, rec Record) error {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.st.Save(ctx, key, rec)
}

func (s boundedStore) Delete(ctx context.Context, key string) error {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.st.Delete(ctx, key)
}

type boundedUpdater struct {
	u Updater
	d time.Duration
}

func (s boundedUpdater) SaveIfVersion(ctx context.Context, key string, rec Record) (uint64, error) {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.u.SaveIfVersion(ctx, key, rec)
}

type boundedToucher struct {
	t Toucher
	d time.Duration
}

func (s boundedToucher) Touch(ctx context.Context, key string, expires time.Time) error {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.t.Touch(ctx, key, expires)
}

type boundedUserIndex struct {
	ui UserIndex
	d  time.Duration
}

func (s boundedUserIndex) UserSessions(ctx context.Context, userID string) ([]RecordInfo, error) {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.ui.UserSessions(ctx, userID)
}

func (s boundedUserIndex) DeleteUserSessions(ctx context.Context, userID string, except ...string) (int, error) {
	ctx, cancel := bound(ctx, s.d)
	defer cancel()
	return s.ui.DeleteUserSessions(ctx, userID, except...)
}
