package session

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Keys with a meaning to Flask or to this package.
const (
	// KeyPermanent holds the permanent flag, as Flask's session.permanent.
	KeyPermanent = "_permanent"
	// KeyFlashes holds pending flash messages, as Flask's flash().
	KeyFlashes = "_flashes"
	// KeyCreated holds the creation time (Unix seconds) when
	// Config.AbsoluteTimeout is set. It is hidden from Keys and Len.
	KeyCreated = "_created"
)

// Session is one visitor's dictionary for the duration of a request. Get it
// with From; its methods are safe for concurrent use by the goroutines of one
// request. Changes are committed by the middleware just before the response
// starts; changes made after that are lost and reported
// (Config.OnChangeAfterCommit).
//
// Like Flask's session, Session notices changes made through its methods only:
// after mutating a map or slice obtained from Get, call Set again or
// MarkModified.
type Session struct {
	mu  sync.Mutex
	m   *Manager
	req *http.Request   // nil outside the middleware
	ctx context.Context // store calls run under it

	token     string // the incoming cookie (or header) value
	tokenRead bool   // token is known

	loaded bool
	values map[string]any

	// changed lists the keys this request set or deleted, so a server-side
	// commit can replay just them on top of a concurrently updated record.
	changed    map[string]struct{}
	allChanged bool            // MarkModified: replay every key
	ops        map[string][]op // keys changed by Update: their change log, for replay
	cleared    bool            // Clear or Destroy: replay on top of an empty record
	renew      bool            // Renew or Destroy: fresh id (server-side) / fresh signature
	committed  bool

	flashes []Flash // popped by Flashes, kept for later calls in the request

	// What the incoming cookie held.
	hadCookie bool      // a cookie that decoded to a live session
	signedAt  time.Time // cookie mode: when the cookie was signed
	keyIndex  int       // which key verified the cookie (0 = current)
	id        string    // server-side: the session id
	storeKey  string    // server-side: the store key of id
	version   uint64    // server-side: Record.Version at load
	expires   time.Time // server-side: Record.Expires at load
	loadErr   error     // store failure while loading

	unlock func(context.Context) error // Lock: releases the session lock

	commitOp string // what the commit did (OpCookieWritten, ...), for the Observer

	revokeSID, revokeUID string // cookie modes with Revocations: the incoming session's id and user
	nextSID              string // cookie modes with Revocations: the id the renewed cookie gets ("" draws one)

	outer *Session // the session of an enclosing Manager, if any
}

// hidden reports the keys this package keeps for itself, which Keys and Len
// do not show.
func hidden(k string) bool { return k == KeyCreated || k == KeySessionID }

// Flash is one flash message.
type Flash struct {
	Category string
	Message  string
}

// incoming returns the token the request carried: the session cookie's
// value, read once.
func (s *Session) incoming() string {
	if !s.tokenRead {
		s.token, s.tokenRead = cookieValue(s.req, s.m.cfg.CookieName), true
	}
	return s.token
}

// load decodes the incoming token on first use. Callers hold s.mu. A loaded
// session counts as used: its response varies with the cookie.
func (s *Session) load() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.m.open(s)
}

// beginChange is where every change starts: it loads the session and
// reports a change made after the commit (the change is lost). what names
// the key, or "*" for the whole session. Callers hold s.mu.
func (s *Session) beginChange(what string) {
	s.load()
	if s.committed {
		s.m.lateChange(s.ctx, s.req, what)
	}
}

// change records a change of key, so that a server-side commit can replay
// it on top of a concurrently updated record.
func (s *Session) change(key string) {
	s.beginChange(key)
	if s.changed == nil {
		s.changed = make(map[string]struct{}, 4)
	}
	s.changed[key] = struct{}{}
}

// modified reports whether this request changed the session.
func (s *Session) modified() bool {
	return len(s.changed) > 0 || s.allChanged || s.cleared || s.renew
}

// Get returns the value stored under key and whether it was present.
func (s *Session) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	v, ok := s.values[key]
	return v, ok
}

// GetString returns the string stored under key, or "" when it is absent or
// not a string (Markup counts as a string).
func (s *Session) GetString(key string) string {
	v, _ := s.Get(key)
	switch v := v.(type) {
	case string:
		return v
	case Markup:
		return string(v)
	}
	return ""
}

// Has reports whether key is present.
func (s *Session) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	_, ok := s.values[key]
	return ok
}

// Set stores value under key. Values must be representable in Flask's tagged
// JSON: the types are listed in the package documentation, under "Values";
// structs are stored as JSON objects. An unrepresentable value makes the
// commit fail.
func (s *Session) Set(key string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change(key)
	if s.values == nil {
		s.values = make(map[string]any, 4)
	}
	s.values[key] = value
	s.logLocal(key)
}

// Delete removes key. Deleting an absent key changes nothing.
func (s *Session) Delete(key string) {
	s.Pop(key)
}

// Pop removes key and returns the value it held.
func (s *Session) Pop(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	v, ok := s.values[key]
	if ok {
		s.change(key)
		delete(s.values, key)
		s.logLocal(key)
	}
	return v, ok
}

// Clear removes every key. A session that is empty when committed is not
// stored, and its cookie is deleted.
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
}

func (s *Session) clear() {
	s.beginChange("*")
	for k := range s.values {
		delete(s.values, k)
	}
	s.cleared = true
	s.changed = nil
	s.ops = nil
	s.flashes = nil
}

// Keys returns the keys in sorted order.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		if !hidden(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Len returns the number of keys.
func (s *Session) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	n := 0
	for k := range s.values {
		if !hidden(k) {
			n++
		}
	}
	return n
}

// Permanent reports whether the session outlives the browser session: its
// "_permanent" flag, or Config.Permanent for a session without one.
func (s *Session) Permanent() bool {
	v, ok := s.Get(KeyPermanent)
	if !ok {
		return s.m != nil && s.m.cfg.Permanent
	}
	b, _ := v.(bool)
	return b
}

// SetPermanent makes the session permanent: its cookie gets an expiry
// Config.Lifetime ahead, moved forward on every request unless
// Config.DisableRefresh. Like Flask, it stores the flag under "_permanent".
func (s *Session) SetPermanent(permanent bool) {
	s.Set(KeyPermanent, permanent)
}

// MarkModified tells the session that a value obtained from Get was changed
// in place, so the whole session is written (Flask's session.modified = True).
func (s *Session) MarkModified() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beginChange("*")
	s.allChanged = true
}

// Flash queues a message for a later request, as Flask's flash(). An empty
// category means "message", Flask's default.
func (s *Session) Flash(message, category string) {
	if category == "" {
		category = "message"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change(KeyFlashes)
	var list []any
	if old, ok := s.values[KeyFlashes].([]any); ok {
		list = append(make([]any, 0, len(old)+1), old...)
	}
	list = append(list, Tuple{category, message})
	if s.values == nil {
		s.values = make(map[string]any, 2)
	}
	s.values[KeyFlashes] = list
	s.logLocal(KeyFlashes)
}

// Flashes removes and returns the queued flash messages, oldest first, as
// Flask's get_flashed_messages(with_categories=True, category_filter=...).
// With categories, only messages of those categories are returned; all
// messages are removed from the session either way, and later calls in the
// same request see the same messages.
func (s *Session) Flashes(categories ...string) []Flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	if s.flashes == nil {
		s.flashes = []Flash{}
		if raw, ok := s.values[KeyFlashes]; ok {
			s.change(KeyFlashes)
			delete(s.values, KeyFlashes)
			s.logLocal(KeyFlashes)
			s.flashes = parseFlashes(raw)
		}
	}
	if len(categories) == 0 {
		return append([]Flash(nil), s.flashes...)
	}
	var out []Flash
	for _, f := range s.flashes {
		for _, c := range categories {
			if f.Category == c {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// parseFlashes reads Flask's list of (category, message) tuples. Lists are
// accepted too: Flask-Session's msgpack turns tuples into lists.
func parseFlashes(raw any) []Flash {
	list, _ := raw.([]any)
	out := make([]Flash, 0, len(list))
	for _, item := range list {
		var pair []any
		switch p := item.(type) {
		case Tuple:
			pair = p
		case []any:
			pair = p
		}
		if len(pair) != 2 {
			continue
		}
		out = append(out, Flash{Category: fmt.Sprint(pair[0]), Message: fmt.Sprint(pair[1])})
	}
	return out
}

// Renew protects against session fixation: call it when the privilege level
// changes (log in, log out). The data is kept. A server-side session moves to
// a new id and the old id stops working at once; a cookie session gets a
// fresh signature.
func (s *Session) Renew() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beginChange("*")
	s.renew = true
	s.allChanged = true
}

// renewAs is Renew with the cookie session id (KeySessionID) the next
// cookie carries chosen in advance: DeleteUserSessions exempts it from the
// user's cut-off before the cookie is written.
func (s *Session) renewAs(sid string) {
	s.Renew()
	s.mu.Lock()
	s.nextSID = sid
	s.mu.Unlock()
}

// Destroy empties the session and ends it: the cookie is deleted and a
// server-side record is removed. Values set afterwards start a new session
// under a new id.
func (s *Session) Destroy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	s.renew = true
}

// ID returns the server-side session id, or "" in cookie mode or when the
// session has no id yet. Treat it as a secret.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	return s.id
}

// Err reports why the session could not be loaded (a store failure, wrapping
// ErrStore), or nil. A session that failed to load is empty, and its commit
// fails with the same error, so a store outage cannot wipe stored data.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	return s.loadErr
}

// Info describes where a session came from, for inspectors and logs.
type Info struct {
	// New is true when the request carried no valid session.
	New bool
	// SignedAt is when the incoming cookie was signed (cookie modes).
	SignedAt time.Time
	// KeyIndex tells which key verified the cookie: 0 is Config.SecretKey,
	// i > 0 is Config.FallbackKeys[i-1].
	KeyIndex int
	// StoreKey is the store key of a server-side session.
	StoreKey string
	// Expires is when the server-side record expires.
	Expires time.Time
}

// Info returns what is known about the incoming session.
func (s *Session) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	return Info{New: !s.hadCookie, SignedAt: s.signedAt, KeyIndex: s.keyIndex, StoreKey: s.storeKey, Expires: s.expires}
}

func (s *Session) permanent() bool { return isPermanent(s.values) }
