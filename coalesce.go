package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// Write coalescing. Overlapping commits of one session inside a process
// form a group: the first becomes the leader and writes; commits that
// arrive meanwhile queue up as the next batch, which the leader then merges
// on top of the record it just wrote and writes once more. A burst of n
// commits then costs about one conditional write per batch instead of n
// failed writes, reloads and retries. Other processes' commits are caught
// by the conditional write: on a conflict the leader reloads and replays the
// whole batch. An uncontended commit allocates nothing here.

type commitGroup struct {
	refs int // commits in the group; guarded by serverBackend.groupsMu

	mu      sync.Mutex
	leading bool
	next    *commitBatch
	own     commitBatch // the first batch, kept with the group to spare an allocation
	// What the group last wrote, a good base for the batch queued behind
	// it; never changed once stored here.
	version uint64
	values  map[string]any
}

type commitBatch struct {
	sessions []*Session
	inline   [1]*Session
	done     chan struct{} // made by the first follower that waits
	gone     bool
	err      error
}

var groupPool = sync.Pool{New: func() any { return new(commitGroup) }}

func (b *serverBackend) joinGroup(key string) *commitGroup {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	if b.groups == nil {
		b.groups = make(map[string]*commitGroup)
	}
	g := b.groups[key]
	if g == nil {
		g = groupPool.Get().(*commitGroup)
		b.groups[key] = g
	}
	g.refs++
	return g
}

func (b *serverBackend) leaveGroup(key string, g *commitGroup) {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	if g.refs--; g.refs == 0 {
		delete(b.groups, key)
		*g = commitGroup{}
		groupPool.Put(g)
	}
}

// coalesce commits s with the other commits of its session under way.
func (b *serverBackend) coalesce(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	g := b.joinGroup(s.storeKey)
	defer b.leaveGroup(s.storeKey, g)
	g.mu.Lock()
	if g.next == nil {
		if !g.leading && g.own.sessions == nil {
			g.next = &g.own
		} else {
			g.next = new(commitBatch)
		}
		g.next.sessions = g.next.inline[:0]
	}
	mine := g.next
	mine.sessions = append(mine.sessions, s)
	if g.leading {
		if mine.done == nil {
			mine.done = make(chan struct{})
		}
		done := mine.done
		g.mu.Unlock()
		<-done
		return mine.gone, mine.err
	}
	g.leading = true
	for g.next != nil {
		batch := g.next
		g.next = nil
		g.mu.Unlock()
		written, version, owned := b.writeBatch(ctx, g, batch, now)
		g.mu.Lock()
		// Cache what was written only for a batch queued behind this one.
		g.values = nil
		if written != nil && g.next != nil {
			if !owned {
				written = maps.Clone(written)
			}
			g.values, g.version = written, version
		}
		if batch.done != nil {
			close(batch.done)
		}
	}
	g.leading = false
	g.mu.Unlock()
	return mine.gone, mine.err
}

// writeBatch writes the changes of every session in batch in one
// conditional write when it can, reloading and replaying on conflicts. It
// returns the values it wrote and their version (nil when nothing was
// written), and whether that map belongs to no session.
func (b *serverBackend) writeBatch(ctx context.Context, g *commitGroup, batch *commitBatch, now time.Time) (map[string]any, uint64, bool) {
	first := batch.sessions[0]
	key := first.storeKey
	// The base: what this group last wrote, else the first session's view
	// (as it is when it commits alone: no copy).
	values, version, owned := first.values, first.version, false
	rest := batch.sessions[1:]
	if g.values != nil {
		values, version, owned = maps.Clone(g.values), g.version, true
		rest = batch.sessions
	}
	if len(rest) > 0 && !owned {
		values, owned = maps.Clone(values), true
	}
	for _, s := range rest {
		values = merge(values, s.values, s)
	}
	for attempt := 0; ; attempt++ {
		rec, err := b.record(values, now)
		if err != nil {
			batch.err = err
			return nil, 0, false
		}
		rec.Version = version
		v, err := b.updater.SaveIfVersion(ctx, key, rec)
		if err == nil {
			for _, s := range batch.sessions {
				s.version, s.expires = v, rec.Expires
				if len(batch.sessions) > 1 {
					s.values = maps.Clone(values) // each session keeps its own map
				} else {
					s.values = values
				}
			}
			return values, v, owned && len(batch.sessions) > 1
		}
		if !errors.Is(err, ErrConflict) {
			batch.err = storeErr("save", err)
			return nil, 0, false
		}
		if b.cfg.Observer != nil {
			b.cfg.Observer.SessionEvent(ctx, Event{Kind: EventMergeRetry, Mode: ServerSide, Size: len(batch.sessions)})
		}
		if attempt == maxConflictRetries {
			batch.err = storeErr("save", fmt.Errorf("gave up after %d conflicting concurrent writes: %w", attempt, err))
			return nil, 0, false
		}
		// The first conflict usually means the base was stale: reload at
		// once. Later ones come from other processes racing us: back off.
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				batch.err = storeErr("save", err)
				return nil, 0, false
			}
		}
		cur, err := b.store.Load(ctx, key)
		if errors.Is(err, ErrNotFound) {
			b.cfg.Logger.Info("session ended by a concurrent request; the changes of this request are dropped",
				"path", pathOf(first.req), "requests", len(batch.sessions))
			batch.gone = true
			return nil, 0, false
		}
		if err != nil {
			batch.err = storeErr("reload after conflict", err)
			return nil, 0, false
		}
		values, err = b.cfg.Serializer.Unmarshal(cur.Data)
		if err != nil {
			values = map[string]any{} // unreadable: this batch's view wins
		}
		owned = true
		for _, s := range batch.sessions {
			values = merge(values, s.values, s)
		}
		version = cur.Version
	}
}
