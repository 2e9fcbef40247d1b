package session

// Functional updates: a change of one key as a function of its current
// value, which a server-side commit replays on the freshest stored record,
// so that overlapping read-modify-writes of one key (a counter, a cart
// quantity changed from two tabs) all count.

// op is one recorded change of a key, replayable on any base value.
type op func(old any, ok bool) (any, bool)

// Update sets key to fn(old, ok), where old is the key's current value (ok
// false when absent), and returns the new value. fn sees the value the
// session was loaded with, with this request's own earlier changes applied;
// so does the handler afterwards.
//
// In a server-side session with an Updater store, the commit replays fn on
// the value stored at commit time, inside the store's conditional write: 200
// overlapping requests that each add one to a counter add exactly 200,
// with no lock held while the handlers run. fn must therefore be pure: it
// may run several times (once now, once per conflicting commit), and must
// depend on old only. In cookie modes nothing can be replayed: each response
// carries a whole cookie, and the browser keeps the last one it receives.
func (s *Session) Update(key string, fn func(old any, ok bool) any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(key, func(old any, ok bool) (any, bool) { return fn(old, ok), true })
}

// Update is the typed form of Session.Update: fn gets the current value
// converted to T as Get converts it (the zero T when the key is absent) and
// returns the new value. When the current value cannot be converted, the
// key is left unchanged and the error (wrapping ErrWrongType) is returned;
// at commit time, on a value another request stored meanwhile, the key is
// left as that request stored it.
func Update[T any](s *Session, key string, fn func(old T) T) (T, error) {
	var convErr error
	v := s.Update(key, func(old any, ok bool) any {
		var cur T
		if ok {
			var err error
			if cur, err = as[T](key, old); err != nil {
				convErr = err
				return old
			}
		}
		return fn(cur)
	})
	if convErr != nil {
		var zero T
		return zero, convErr
	}
	return v.(T), nil
}

// apply runs f on key now and records it for replay. Callers hold s.mu.
func (s *Session) apply(key string, f op) any {
	_, changedBefore := s.changed[key]
	s.change(key)
	log, logged := s.ops[key]
	if !logged && (changedBefore || s.cleared || s.allChanged) {
		// An earlier Set, Delete, Clear or MarkModified of this request
		// decided the base: replay starts from it, not from the stored value.
		base, baseOK := s.values[key]
		log = append(log, func(any, bool) (any, bool) { return base, baseOK })
	}
	old, ok := s.values[key]
	v, keep := f(old, ok)
	if keep {
		if s.values == nil {
			s.values = make(map[string]any, 4)
		}
		s.values[key] = v
	} else {
		delete(s.values, key)
	}
	if s.ops == nil {
		s.ops = make(map[string][]op, 2)
	}
	s.ops[key] = append(log, f)
	return v
}

// logLocal records, for a key with an update log, that a plain change
// (Set, Delete, a flash) just set it to its current local state, so that
// the replay keeps this request's order. Callers hold s.mu.
func (s *Session) logLocal(key string) {
	log, ok := s.ops[key]
	if !ok {
		return
	}
	v, keep := s.values[key]
	s.ops[key] = append(log, func(any, bool) (any, bool) { return v, keep })
}

// replay computes a key's value on top of base by running its update log.
func replay(log []op, base any, ok bool) (any, bool) {
	for _, f := range log {
		base, ok = f(base, ok)
	}
	return base, ok
}
