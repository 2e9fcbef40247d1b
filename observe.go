package session

import (
	"context"
	"errors"
	"time"

	"github.com/flaskgo/session/seal"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// Observer is told what the session layer does, for metrics, traces and
// audit logs (see the promsession and otelsession modules). Set it as
// Config.Observer; with none, nothing is measured and nothing allocates.
//
// SessionEvent is called synchronously on the request's goroutine, possibly
// with the session locked: it must be fast, safe for concurrent use, and
// must not use the Session. Events carry no session id, cookie value or
// session content.
type Observer interface {
	SessionEvent(ctx context.Context, e Event)
}

// Event is one thing the session layer did. Which fields are set depends on
// Kind; the strings are stable, lower-case and of low cardinality, fit for
// metric labels.
type Event struct {
	Kind EventKind
	Mode Mode
	// Reason classifies EventRejected and EventCommitFailed.
	Reason Reason
	// Op: for EventCommitted what the commit did (OpCookieWritten, ...);
	// for EventStoreCall the Store method (OpLoad, ...).
	Op string
	// Outcome of an EventStoreCall: OutcomeOK, OutcomeNotFound,
	// OutcomeConflict, OutcomeTimeout or OutcomeError.
	Outcome string
	// Duration of the load, commit or store call.
	Duration time.Duration
	// Size is the cookie's size (name and value) for OpCookieWritten, and
	// the number of requests coalesced into one write for
	// EventMergeRetry.
	Size int
	// Err is the error of EventRejected, EventCommitFailed, a failed
	// EventStoreCall and EventChangedAfterCommit. Errors of this package
	// never hold a session id or a secret.
	Err error
}

// EventKind says what happened.
type EventKind string

// The kinds of Event.
const (
	EventCreated            EventKind = "created"              // a new session was stored or its first cookie issued
	EventLoaded             EventKind = "loaded"               // an incoming session was accepted (Duration: decode or store load)
	EventRenewed            EventKind = "renewed"              // Renew: a new id (server-side) or a fresh signature
	EventDestroyed          EventKind = "destroyed"            // Destroy ended a session
	EventCommitted          EventKind = "committed"            // the commit wrote something (Op says what)
	EventRejected           EventKind = "rejected"             // an incoming token was refused (Reason)
	EventCommitFailed       EventKind = "commit_failed"        // the commit failed (Reason); the error handler answered
	EventChangedAfterCommit EventKind = "changed_after_commit" // a change made after the response started was lost
	EventStoreCall          EventKind = "store_call"           // one Store call (Op, Outcome, Duration)
	EventMergeRetry         EventKind = "merge_retry"          // a conditional write conflicted; the commit reloads and replays
)

// Reason classifies a rejected token or a failed commit.
type Reason string

// Reasons of EventRejected and EventCommitFailed.
const (
	ReasonBadSignature    Reason = "bad_signature"
	ReasonUnknownKey      Reason = "unknown_key"
	ReasonExpired         Reason = "expired"
	ReasonFutureTimestamp Reason = "future_timestamp"
	ReasonMalformed       Reason = "malformed"
	ReasonUnknownID       Reason = "unknown_id"
	ReasonIdleTimeout     Reason = "idle_timeout"
	ReasonAbsoluteTimeout Reason = "absolute_timeout"
	ReasonRevoked         Reason = "revoked"
	ReasonStoreError      Reason = "store_error"
	ReasonTooLarge        Reason = "too_large"
	ReasonEncodeError     Reason = "encode_error"
	ReasonOther           Reason = "other"
)

// Ops of EventCommitted.
const (
	OpCookieWritten = "cookie_written"
	OpCookieDeleted = "cookie_deleted"
	OpRecordSaved   = "record_saved"
	OpRecordTouched = "record_touched"
	OpRecordDeleted = "record_deleted"
)

// Ops of EventStoreCall: the Store method called.
const (
	OpLoad               = "load"
	OpSave               = "save"
	OpSaveIfVersion      = "save_if_version"
	OpDelete             = "delete"
	OpTouch              = "touch"
	OpUserSessions       = "user_sessions"
	OpDeleteUserSessions = "delete_user_sessions"
)

// Outcomes of EventStoreCall.
const (
	OutcomeOK       = "ok"
	OutcomeNotFound = "not_found"
	OutcomeConflict = "conflict"
	OutcomeTimeout  = "timeout"
	OutcomeError    = "error"
)

// reasonOf classifies why a token was rejected or a commit failed.
func reasonOf(err error) Reason {
	switch {
	case errors.Is(err, signer.ErrFuture):
		return ReasonFutureTimestamp
	case errors.Is(err, signer.ErrExpired), errors.Is(err, seal.ErrExpired):
		return ReasonExpired
	case errors.Is(err, signer.ErrBadSignature), errors.Is(err, seal.ErrDecrypt):
		return ReasonBadSignature
	case errors.Is(err, seal.ErrUnknownKey):
		return ReasonUnknownKey
	case errors.Is(err, ErrIdleTimeout):
		return ReasonIdleTimeout
	case errors.Is(err, ErrAbsoluteTimeout):
		return ReasonAbsoluteTimeout
	case errors.Is(err, ErrUnknownID):
		return ReasonUnknownID
	case errors.Is(err, ErrRevoked):
		return ReasonRevoked
	case errors.Is(err, ErrStore):
		return ReasonStoreError
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, errEncode):
		return ReasonEncodeError
	case errors.Is(err, signer.ErrMalformed), errors.Is(err, signer.ErrBadPayload), errors.Is(err, seal.ErrMalformed),
		errors.Is(err, taggedjson.ErrSyntax), errors.Is(err, taggedjson.ErrInvalidTag), errors.Is(err, taggedjson.ErrNotObject),
		errors.Is(err, taggedjson.ErrTooDeep), errors.Is(err, errStoredRecord):
		return ReasonMalformed
	}
	return ReasonOther
}

// outcomeOf classifies a store call's error.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	}
	return OutcomeError
}

// Sentinels for the reason classes that have no exported error.
var (
	errEncode       = errors.New("session: cannot encode the session")
	errStoredRecord = errors.New("stored record")
)

// emit sends e to the observer, if there is one.
func (m *Manager) emit(ctx context.Context, e Event) {
	if m.cfg.Observer != nil {
		e.Mode = m.backend.mode()
		m.cfg.Observer.SessionEvent(ctx, e)
	}
}
