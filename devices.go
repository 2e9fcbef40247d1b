package session

import (
	"context"
	"fmt"
)

// serverSide returns the server-side backend, or an error wrapping
// ErrNotSupported naming what needed it.
func (m *Manager) serverSide(what string) (*serverBackend, error) {
	b, ok := m.backend.(*serverBackend)
	if !ok {
		return nil, fmt.Errorf("%w: %s needs a server-side Store (this Manager keeps sessions in a %s)", ErrNotSupported, what, m.backend.mode())
	}
	return b, nil
}

func (m *Manager) userIndex(what string) (UserIndex, error) {
	b, err := m.serverSide(what)
	if err != nil {
		return nil, err
	}
	if b.users == nil {
		return nil, fmt.Errorf("%w: %s: the store does not implement UserIndex", ErrNotSupported, what)
	}
	return b.users, nil
}

// UserSessions lists the stored sessions of a user (the sessions whose
// Config.UserIDKey value is userID). The store must implement UserIndex.
func (m *Manager) UserSessions(ctx context.Context, userID string) ([]RecordInfo, error) {
	ui, err := m.userIndex("UserSessions")
	if err != nil {
		return nil, err
	}
	infos, err := ui.UserSessions(ctx, userID)
	if err != nil {
		return nil, storeErr("list user sessions", err)
	}
	return infos, nil
}

// DeleteUserSessions ends every stored session of userID except keep ("log
// out my other devices"); keep may be nil. It reports how many it ended.
//
// In a cookie mode with Config.Revocations it ends every cookie session of
// userID signed before now, except keep, which is re-issued on this
// response; it cannot count them and reports 0.
func (m *Manager) DeleteUserSessions(ctx context.Context, userID string, keep *Session) (int, error) {
	if cb, ok := m.backend.(*cookieBackend); ok && cb.rev != nil {
		var keepSID string
		if keep != nil {
			keepSID = newSessionID()
		}
		if err := cb.rev.revokeUser(ctx, userID, keepSID, m.cfg.Now()); err != nil {
			return 0, err
		}
		if keep != nil {
			keep.renewAs(keepSID)
		}
		return 0, nil
	}
	ui, err := m.userIndex("DeleteUserSessions")
	if err != nil {
		return 0, err
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
		return n, redact(storeErr("delete user sessions", err), except...)
	}
	return n, nil
}

// LoadStored reads and decodes the stored session under a store key, for
// inspectors and admin tools (a device list, say). Errors from the store are
// returned as the store reported them (ErrNotFound for a missing record).
func (m *Manager) LoadStored(ctx context.Context, key string) (map[string]any, Record, error) {
	b, err := m.serverSide("LoadStored")
	if err != nil {
		return nil, Record{}, err
	}
	rec, err := b.store.Load(ctx, key)
	if err != nil {
		return nil, rec, err
	}
	values, err := b.cfg.Serializer.Unmarshal(rec.Data)
	return values, rec, err
}
