package flasksession

import "github.com/flaskgo/session/taggedjson"

// containerOp runs opcodes that build tuples, lists, dicts and sets.
func (u *unpickler) containerOp(c byte) error {
	switch c {
	case ')': // EMPTY_TUPLE
		u.push(taggedjson.Tuple{})
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(taggedjson.Tuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		items, err := u.popN(int(c-0x85) + 1)
		if err != nil {
			return err
		}
		u.push(taggedjson.Tuple(items))
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case 'a', 'e': // APPEND, APPENDS
		var items []any
		var err error
		if c == 'a' {
			items, err = u.popN(1)
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pyList)
		if !ok {
			return u.fail(ErrSyntax, "APPEND(S) to %s, not a list", pyTypeName(t))
		}
		l.items = append(l.items, items...)
	case '}': // EMPTY_DICT
		u.push(&pyDict{m: make(map[string]any)})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := &pyDict{m: make(map[string]any, len(items)/2)}
		if err := u.setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case 's', 'u': // SETITEM, SETITEMS
		var items []any
		var err error
		if c == 's' {
			items, err = u.popN(2)
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		d, ok := t.(*pyDict)
		if !ok {
			return u.fail(ErrSyntax, "SETITEM(S) on %s, not a dict", pyTypeName(t))
		}
		return u.setItems(d, items)
	case 0x8f: // EMPTY_SET
		u.push(&pySet{})
	case 0x90: // ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		s, ok := t.(*pySet)
		if !ok || s.frozen {
			return u.fail(ErrSyntax, "ADDITEMS on %s, not a set", pyTypeName(t))
		}
		if err := u.hashable(items); err != nil {
			return err
		}
		s.items = append(s.items, items...)
	case 0x91: // FROZENSET
		items, err := u.popMark()
		if err != nil {
			return err
		}
		if err := u.hashable(items); err != nil {
			return err
		}
		u.push(&pySet{items: items, frozen: true})

	}
	return nil
}
