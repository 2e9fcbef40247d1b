package flasksession

import "github.com/flaskgo/session/taggedjson"

// objectOp runs opcodes that name globals and build objects through them, and those refused.
func (u *unpickler) objectOp(c byte) error {
	switch c {
	case 'c': // GLOBAL
		module, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		if err != nil {
			return err
		}
		g, err := u.global(module, name)
		if err != nil {
			return err
		}
		u.push(g)
	case 0x93: // STACK_GLOBAL
		items, err := u.popN(2)
		if err != nil {
			return err
		}
		module, ok1 := items[0].(string)
		name, ok2 := items[1].(string)
		if !ok1 || !ok2 {
			return u.fail(ErrSyntax, "STACK_GLOBAL requires str")
		}
		g, err := u.global(module, name)
		if err != nil {
			return err
		}
		u.push(g)
	case 'R': // REDUCE
		items, err := u.popN(2)
		if err != nil {
			return err
		}
		args, ok := items[1].(taggedjson.Tuple)
		if !ok {
			return u.fail(ErrSyntax, "REDUCE arguments are %s, not a tuple", pyTypeName(items[1]))
		}
		v, err := u.call(items[0], args)
		if err != nil {
			return err
		}
		u.push(v)
	case 0x81, 0x92: // NEWOBJ, NEWOBJ_EX
		n := 2
		if c == 0x92 {
			n = 3
		}
		items, err := u.popN(n)
		if err != nil {
			return err
		}
		args, ok := items[1].(taggedjson.Tuple)
		if !ok {
			return u.fail(ErrSyntax, "NEWOBJ arguments are %s, not a tuple", pyTypeName(items[1]))
		}
		if c == 0x92 {
			if kw, ok := items[2].(*pyDict); !ok || len(kw.m) != 0 {
				return u.fail(ErrUnsafePickle, "NEWOBJ_EX with keyword arguments is not allowed")
			}
		}
		v, err := u.newObj(items[0], args)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		return u.build(obj, state)

	case 'i', 'o':
		return u.fail(ErrUnsafePickle, "opcode %q (INST/OBJ) instantiates arbitrary classes", c)
	case 'P', 'Q':
		return u.fail(ErrUnsafePickle, "persistent ids are not supported")
	case 0x82, 0x83, 0x84:
		return u.fail(ErrUnsafePickle, "extension registry codes (EXT1/2/4) are not supported")
	case 0x97, 0x98:
		return u.fail(ErrUnsafePickle, "out-of-band buffers are not supported")
	default:
		return u.fail(ErrSyntax, "invalid load key, '\\x%02x'", c)
	}
	return nil
}
