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
// whole batch.

type commitGroup struct {
	refs    int // commits in the group; guarded by serverBackend.groupsMu
	leading bool
	next    *commitBatch
	// The state the group last wrote, a good base for the next batch: the
	// map is never changed after it is stored here.
	version uint64
	values  map[string]any
	mu      sync.Mutex
}

type commitBatch struct {
	sessions []*Session
	done     chan struct{}
	gone     bool
	err      error
}

func (b *serverBackend) joinGroup(key string) *commitGroup {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	if b.groups == nil {
		b.groups = make(map[string]*commitGroup)
	}
	g := b.groups[key]
	if g == nil {
		g = &commitGroup{}
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
	}
}

// coalesce commits s with the other commits of its session under way.
func (b *serverBackend) coalesce(ctx context.Context, s *Session, now time.Time) (gone bool, err error) {
	g := b.joinGroup(s.storeKey)
	defer b.leaveGroup(s.storeKey, g)
	g.mu.Lock()
	if g.next == nil {
		g.next = &commitBatch{done: make(chan struct{})}
	}
	mine := g.next
	mine.sessions = append(mine.sessions, s)
	if g.leading {
		g.mu.Unlock()
		<-mine.done
		return mine.gone, mine.err
	}
	g.leading = true
	for g.next != nil {
		batch := g.next
		g.next = nil
		g.mu.Unlock()
		b.writeBatch(ctx, g, batch, now)
		close(batch.done)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	return mine.gone, mine.err
}

// writeBatch writes the changes of every session in batch in one
// conditional write when it can, reloading and replaying on conflicts.
func (b *serverBackend) writeBatch(ctx context.Context, g *commitGroup, batch *commitBatch, now time.Time) {
	key := batch.sessions[0].storeKey
	// The base: what this group last wrote, else the first session's view.
	var values map[string]any
	var version uint64
	rest := batch.sessions
	if g.values != nil {
		values, version = maps.Clone(g.values), g.version
	} else {
		values, version = maps.Clone(batch.sessions[0].values), batch.sessions[0].version
		rest = rest[1:]
	}
	for _, s := range rest {
		values = merge(values, s.values, s)
	}
	for attempt := 0; ; attempt++ {
		rec, err := b.record(values, now)
		if err != nil {
			batch.err = err
			return
		}
		rec.Version = version
		v, err := b.updater.SaveIfVersion(ctx, key, rec)
		if err == nil {
			g.version, g.values = v, values
			for _, s := range batch.sessions {
				s.version, s.expires = v, rec.Expires
				s.values = maps.Clone(values) // each session keeps its own map
			}
			return
		}
		g.values = nil // whatever the store holds now, it is not that
		if !errors.Is(err, ErrConflict) {
			batch.err = storeErr("save", err)
			return
		}
		if b.cfg.Observer != nil {
			b.cfg.Observer.SessionEvent(ctx, Event{Kind: EventMergeRetry, Mode: ServerSide, Size: len(batch.sessions)})
		}
		if attempt == maxConflictRetries {
			batch.err = storeErr("save", fmt.Errorf("gave up after %d conflicting concurrent writes: %w", attempt, err))
			return
		}
		// The first conflict usually means the base was stale: reload at
		// once. Later ones come from other processes racing us: back off.
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				batch.err = storeErr("save", err)
				return
			}
		}
		cur, err := b.store.Load(ctx, key)
		if errors.Is(err, ErrNotFound) {
			b.cfg.Logger.Info("session ended by a concurrent request; the changes of this request are dropped",
				"path", pathOf(batch.sessions[0].req), "requests", len(batch.sessions))
			batch.gone = true
			return
		}
		if err != nil {
			batch.err = storeErr("reload after conflict", err)
			return
		}
		values, err = b.cfg.Serializer.Unmarshal(cur.Data)
		if err != nil {
			values = map[string]any{} // unreadable: this batch's view wins
		}
		for _, s := range batch.sessions {
			values = merge(values, s.values, s)
		}
		version = cur.Version
	}
}
