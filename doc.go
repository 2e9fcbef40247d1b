// Package session gives Go web applications Flask's session: a per-visitor
// dictionary that survives across requests.
//
// By default the dictionary travels in a signed cookie that is byte-for-byte
// compatible with Flask's, so a Go service and a Flask application sharing a
// secret key read and write each other's sessions. Optionally the cookie is
// encrypted (Config.Encrypted), or only a random session id travels in the
// cookie and the data stays in a server-side Store (Config.Store).
//
// A Manager holds the configuration and provides the middleware:
//
//	m, err := session.New(session.Config{SecretKey: os.Getenv("SECRET_KEY")})
//	if err != nil { ... }
//	http.ListenAndServe(addr, m.Handler(mux))
//
// Handlers reach the request's Session with From:
//
//	s := session.From(r)
//	s.Set("user_id", 42)
//	n, err := session.Get[int](s, "user_id")
//
// Nothing is decoded until a handler first touches the session, and the
// application never saves: the middleware commits the session exactly once,
// just before the first byte of the response, following Flask's rules (write
// when modified, refresh permanent sessions, delete the cookie when a modified
// session became empty, add "Vary: Cookie" when the session was used).
//
// # Values
//
// A session holds what Flask's tagged JSON can carry, decoded as these Go
// types: map[string]any (a dict), []any (a list), Tuple, string, Markup,
// int64 or *big.Int (an int; *big.Int beyond 64 bits), float64, bool, nil,
// []byte, UUID and time.Time. Set also takes the other Go integer and float
// types, and structs, maps and slices, stored through encoding/json; Get
// converts back (see Get).
//
// # Modes
//
// New decides once where sessions live (Manager.Mode): a signed cookie
// (default), a sealed cookie (Config.Encrypted) or a server-side Store
// (Config.Store). Manager.Inspect reads a token with the Manager's own keys
// and settings, for tools.
//
// A cookie that is tampered with, signed by an unknown key, expired or
// malformed yields a fresh empty session, never an error page. Errors that the
// application must see (a store outage, a session too large for a cookie) go
// to Config.ErrorHandler before any byte of the response is sent.
package session
