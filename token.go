package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sessions without the middleware: Open a session from a token taken from
// anywhere (an Authorization header, a WebSocket handshake, a message
// queue) and Commit it back into a token, under exactly the rules the
// middleware applies.

// ErrCommitted is returned by Commit for a session that was already
// committed (by Commit or by the middleware).
var ErrCommitted = errors.New("session: already committed")

// Token is what a commit tells the client.
type Token struct {
	// Action says what the client must do with its token.
	Action TokenAction
	// Value is the new token, with TokenSet.
	Value string
	// Expires is when the client should drop Value, with TokenSet; zero
	// for a browser-session token (a cookie without Expires).
	Expires time.Time
}

// TokenAction is what a client does with its token after a commit.
type TokenAction int

const (
	// TokenKeep: nothing changed that the client must learn; it keeps the
	// token it sent (or, for a new session left empty, has none).
	TokenKeep TokenAction = iota
	// TokenSet: the client must replace its token with Token.Value (a new
	// session, a change, a renewal or a refresh).
	TokenSet
	// TokenDelete: the session ended (emptied or destroyed); the client
	// must drop its token.
	TokenDelete
)

// String returns the action's name.
func (a TokenAction) String() string {
	switch a {
	case TokenKeep:
		return "keep"
	case TokenSet:
		return "set"
	case TokenDelete:
		return "delete"
	}
	return "TokenAction(?)"
}

// Open returns the session carried by token, the value a client got from
// an earlier commit (the session cookie's value, in any mode); "" starts a
// new session. As in the middleware nothing is decoded until the session is
// first used, and a token that is tampered with, expired or unknown gives a
// fresh empty session (Config.OnInvalidCookie is told, with a nil request).
// Store calls run under ctx.
//
// The session must be committed with Commit once the caller is done with
// it; changes made after that are lost and reported, as in the middleware.
func (m *Manager) Open(ctx context.Context, token string) *Session {
	return &Session{m: m, ctx: ctx, token: token, tokenRead: true}
}

// Commit applies the middleware's save rules to s (write when modified,
// refresh, renew, destroy, timeouts, the server-side merge with overlapping
// requests) and returns what to send the client. A session that was never
// used costs nothing and gives TokenKeep (or, for a permanent signed
// cookie, its refresh).
//
// Errors are those the middleware hands to Config.ErrorHandler: a store
// failure (errors.Is ErrStore), a session too large (ErrTooLarge), a value
// that cannot be encoded; ErrCommitted for a second commit. After an error
// the client keeps its old token.
func (m *Manager) Commit(ctx context.Context, s *Session) (Token, error) {
	if s.m != m {
		return Token{}, fmt.Errorf("%w: the session belongs to another Manager", ErrNotSupported)
	}
	tok, _, err := m.commitToken(ctx, s)
	return tok, err
}
