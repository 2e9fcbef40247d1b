package session

import "context"

// SpanObserver is an Observer that also wants to know when work begins, so
// that it can open a span around it (see the otelsession module). Events are
// reported after the fact, with a Duration; that is enough for metrics, and
// for a span that has no children (one can be started back-dated). It is not
// enough for nesting: the store calls a commit makes must see the commit's
// span in their context while they run. A SpanObserver gets that context
// first.
//
// When Config.Observer implements SpanObserver, SpanStart is called as a
// commit (kind EventCommitted, op "") or a store call (kind EventStoreCall,
// op the Store method, OpLoad, ...) begins. The context it returns carries
// the work: the store calls of a commit get it, and so do the events the
// work reports (SessionEvent). SpanEnd is then called exactly once with
// that context and the outcome: for a store call, the EventStoreCall also
// given to SessionEvent; for a commit, an EventCommitted (Op is empty when
// the commit wrote nothing) or an EventCommitFailed (Reason, Err). Both are
// called on the request's goroutine and must be fast and safe for
// concurrent use.
//
// An Observer that does not implement it costs nothing more: the Manager
// looks for the interface once, in New.
type SpanObserver interface {
	Observer
	SpanStart(ctx context.Context, kind EventKind, op string) context.Context
	SpanEnd(ctx context.Context, e Event)
}
