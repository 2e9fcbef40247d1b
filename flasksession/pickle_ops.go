package flasksession

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flaskgo/session/taggedjson"
)

// stackOp runs the framing and stack opcodes: PROTO, FRAME, MARK, POP, POP_MARK, DUP.
func (u *unpickler) stackOp(c byte) error {
	switch c {
	case 0x80: // PROTO
		b, err := u.read(1)
		if err != nil {
			return err
		}
		if b[0] > 5 {
			return u.fail(ErrSyntax, "unsupported pickle protocol: %d", b[0])
		}
	case 0x95: // FRAME: a length prefix only; opcodes follow as usual.
		n, err := u.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(u.data)-u.i) {
			return u.truncated()
		}
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		if n := len(u.marks); n > 0 && u.marks[n-1] == len(u.stack) {
			u.marks = u.marks[:n-1]
			return nil
		}
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)

	}
	return nil
}

// scalarOp runs the opcodes that push a scalar: None, bools, ints, floats, str, bytes.
func (u *unpickler) scalarOp(c byte) error {
	switch c {
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'I': // INT, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		switch s {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			v, err := u.textInt(s)
			if err != nil {
				return err
			}
			u.push(v)
		}
	case 'L': // LONG, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		v, err := u.textInt(strings.TrimSuffix(s, "L"))
		if err != nil {
			return err
		}
		u.push(v)
	case 'J': // BININT
		x, err := u.uint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(x))))
	case 'K': // BININT1
		x, err := u.uint(1)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 'M': // BININT2
		x, err := u.uint(2)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 0x8a, 0x8b: // LONG1, LONG4
		var n uint64
		var err error
		if c == 0x8a {
			n, err = u.uint(1)
		} else {
			n, err = u.uint(4)
			if err == nil && int32(uint32(n)) < 0 {
				return u.fail(ErrSyntax, "LONG pickle has negative byte count")
			}
		}
		if err != nil {
			return err
		}
		// Refuse before building it: an integer this long has more
		// decimal digits than Python converts (and than any session needs).
		if n > maxIntBits/8+1 {
			return u.fail(ErrUnsupportedValue, "integer of %d bytes; Python refuses integers of more than 4300 digits", n)
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 'F': // FLOAT, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		f, err := u.textFloat(s)
		if err != nil {
			return err
		}
		u.push(f)
	case 'G': // BINFLOAT
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case 'V': // UNICODE, raw-unicode-escape text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		v, err := u.rawUnicodeEscape(s)
		if err != nil {
			return err
		}
		u.push(v)
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		n, err := u.uint(sizeWidth(c))
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return u.fail(ErrUnsupportedValue, "string is not valid UTF-8 (a lone surrogate has no Go counterpart)")
		}
		u.push(string(b))
	case 'S': // STRING, Python 2 str as quoted text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		if len(s) < 2 || s[0] != s[len(s)-1] || (s[0] != '\'' && s[0] != '"') {
			return u.fail(ErrSyntax, "the STRING opcode argument must be quoted")
		}
		b, err := u.escapeDecode(s[1 : len(s)-1])
		if err != nil {
			return err
		}
		v, err := u.asciiString(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'T', 'U': // BINSTRING, SHORT_BINSTRING
		var n uint64
		var err error
		if c == 'U' {
			n, err = u.uint(1)
		} else {
			n, err = u.uint(4)
			if err == nil && int32(uint32(n)) < 0 {
				return u.fail(ErrSyntax, "BINSTRING pickle has negative byte count")
			}
		}
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		v, err := u.asciiString(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		n, err := u.uint(sizeWidth(c))
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(append([]byte{}, b...))

	}
	return nil
}

// containerOp runs the opcodes that build tuples, lists, dicts and sets.
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

// memoOp runs the memo opcodes: PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET, LONG_BINGET.
func (u *unpickler) memoOp(c byte) error {
	switch c {
	case 'p', 'q', 'r', 0x94: // PUT, BINPUT, LONG_BINPUT, MEMOIZE
		var idx int64
		switch c {
		case 'p':
			s, err := u.readLine()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return u.fail(ErrSyntax, "invalid PUT argument %.64q", s)
			}
			idx = n
		case 'q':
			n, err := u.uint(1)
			if err != nil {
				return err
			}
			idx = int64(n)
		case 'r':
			n, err := u.uint(4)
			if err != nil {
				return err
			}
			idx = int64(n)
		default:
			idx = int64(len(u.memo))
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[idx] = v
	case 'g', 'h', 'j': // GET, BINGET, LONG_BINGET
		var idx int64
		switch c {
		case 'g':
			s, err := u.readLine()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return u.fail(ErrSyntax, "invalid GET argument %.64q", s)
			}
			idx = n
		case 'h':
			n, err := u.uint(1)
			if err != nil {
				return err
			}
			idx = int64(n)
		default:
			n, err := u.uint(4)
			if err != nil {
				return err
			}
			idx = int64(n)
		}
		v, ok := u.memo[idx]
		if !ok {
			return u.fail(ErrSyntax, "memo value not found at index %d", idx)
		}
		u.push(v)

	}
	return nil
}

// objectOp runs the opcodes that name globals and build objects, and those refused.
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
	}
	return nil
}

// sizeWidth is the width of the length prefix of a string/bytes opcode.
func sizeWidth(c byte) int {
	switch c {
	case 0x8c, 'C':
		return 1
	case 'X', 'B':
		return 4
	}
	return 8
}

func (u *unpickler) setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return u.fail(ErrSyntax, "odd number of items for a dict")
	}
	for k := 0; k < len(items); k += 2 {
		key, ok := items[k].(string)
		if !ok {
			return u.fail(ErrUnsupportedValue, "dict key is %s; only str keys have a Go counterpart", pyTypeName(items[k]))
		}
		if _, dup := d.m[key]; !dup {
			d.keys = append(d.keys, key)
		}
		d.m[key] = items[k+1]
	}
	return nil
}

// hashable rejects set elements Python would refuse (TypeError:
// unhashable). It looks at the elements themselves only: a tuple holding a
// list is let through, because checking tuples deeply could take
// exponential time on tuples that share their elements.
func (u *unpickler) hashable(items []any) error {
	for _, v := range items {
		switch x := v.(type) {
		case *pyList, *pyDict:
			return u.fail(ErrSyntax, "unhashable type: %s", pyTypeName(v))
		case *pySet:
			if !x.frozen {
				return u.fail(ErrSyntax, "unhashable type: set")
			}
		}
	}
	return nil
}
