package flasksession

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flaskgo/session/taggedjson"
)

// Pickle is the format of Flask-Session 0.2 to 0.6 (Debian ships 0.3.2):
// Python's pickle of the session dict. cachelib's file cache (Flask-Session's
// "filesystem" and "cachelib" backends, in every version) pickles too, after
// a 4-byte expiry header that the store must strip.
//
// Unmarshal is a restricted unpickler for protocols 0 to 5: it reads the
// data types Flask sessions hold (see the package documentation for the
// mapping) and rejects every other class or function with ErrUnsafePickle,
// without running anything. Like Python's pickle.loads it ignores bytes
// after the STOP opcode. Strings written by Python 2 (the STRING opcodes)
// must be ASCII, as Python 3 requires by default.
//
// Marshal writes protocol 2, which every Python 3 version reads: dicts with
// sorted keys, lists, tuples (session.Tuple), bytes, ints of any size,
// floats, booleans, None, str, uuid.UUID, markupsafe.Markup and, for a
// time.Time, a timezone-aware datetime in UTC (microsecond precision).
type Pickle struct{}

// Unmarshal implements session.Serializer.
func (Pickle) Unmarshal(data []byte) (map[string]any, error) {
	u := unpickler{data: data, memo: make(map[int64]any)}
	v, err := u.run()
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, &DecodeError{Format: "pickle", Offset: u.op, Msg: "the pickled value is " + pyTypeName(v) + ", not a dict", Err: ErrNotMap}
	}
	// A pickle may refer to one container many times (memo GET), and each
	// reference becomes a copy here, so a small pickle could describe an
	// exponentially large value. Real sessions stay far below this budget.
	f := finisher{budget: 8*len(data) + 1<<16, active: make(map[any]bool)}
	out, err := f.value(d, 0)
	if err != nil {
		return nil, &DecodeError{Format: "pickle", Offset: u.op, Msg: err.Error(), Err: sentinelOf(err)}
	}
	return out.(map[string]any), nil
}

// Values that live only while unpickling. Mutable containers are pointers
// so that memo references and in-place opcodes (APPENDS, SETITEMS, ...)
// see one object, as in Python.
type (
	pyDict struct{ m map[string]any }
	pyList struct{ items []any }
	pySet  struct {
		items  []any
		frozen bool
	}
	// pyGlobal is an allowed class or function, by canonical name.
	pyGlobal    string
	pyTimedelta struct{ days, seconds, micros int64 }
	pyTimezone  struct{ offset int } // seconds east of UTC
	// pyUUID is a uuid.UUID between NEWOBJ and BUILD.
	pyUUID struct {
		built bool
		id    taggedjson.UUID
	}
)

// Canonical names of the allowed globals.
const (
	gDatetime      pyGlobal = "datetime.datetime"
	gDate          pyGlobal = "datetime.date"
	gTimedelta     pyGlobal = "datetime.timedelta"
	gTimezone      pyGlobal = "datetime.timezone"
	gEncode        pyGlobal = "_codecs.encode"
	gSet           pyGlobal = "builtins.set"
	gFrozenset     pyGlobal = "builtins.frozenset"
	gBytearray     pyGlobal = "builtins.bytearray"
	gBytes         pyGlobal = "builtins.bytes"
	gStr           pyGlobal = "builtins.str"
	gObject        pyGlobal = "builtins.object"
	gReconstructor pyGlobal = "copyreg._reconstructor"
	gMarkup        pyGlobal = "markupsafe.Markup"
	gUUID          pyGlobal = "uuid.UUID"
)

// allowedGlobals maps "module name" (as written, including the Python 2
// spellings that Python 3 writes for protocols 0-2) to a canonical name.
var allowedGlobals = map[string]pyGlobal{
	"datetime datetime":       gDatetime,
	"datetime date":           gDate,
	"datetime timedelta":      gTimedelta,
	"datetime timezone":       gTimezone,
	"_codecs encode":          gEncode,
	"builtins set":            gSet,
	"__builtin__ set":         gSet,
	"builtins frozenset":      gFrozenset,
	"__builtin__ frozenset":   gFrozenset,
	"builtins bytearray":      gBytearray,
	"__builtin__ bytearray":   gBytearray,
	"builtins bytes":          gBytes,
	"__builtin__ bytes":       gBytes,
	"builtins str":            gStr,
	"__builtin__ str":         gStr,
	"__builtin__ unicode":     gStr,
	"builtins object":         gObject,
	"__builtin__ object":      gObject,
	"copyreg _reconstructor":  gReconstructor,
	"copy_reg _reconstructor": gReconstructor,
	"markupsafe Markup":       gMarkup,
	"uuid UUID":               gUUID,
}

type unpickler struct {
	data  []byte
	i     int // next byte
	op    int // offset of the opcode being run, for errors
	stack []any
	marks []int // stack lengths at each MARK
	memo  map[int64]any
}

func (u *unpickler) fail(err error, format string, args ...any) error {
	return &DecodeError{Format: "pickle", Offset: u.op, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (u *unpickler) truncated() error {
	return &DecodeError{Format: "pickle", Offset: len(u.data), Msg: "pickle data was truncated", Err: ErrSyntax}
}

func (u *unpickler) read(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.i) {
		return nil, u.truncated()
	}
	b := u.data[u.i : u.i+int(n)]
	u.i += int(n)
	return b, nil
}

func (u *unpickler) readLine() (string, error) {
	for j := u.i; j < len(u.data); j++ {
		if u.data[j] == '\n' {
			s := string(u.data[u.i:j])
			u.i = j + 1
			return s, nil
		}
	}
	return "", u.truncated()
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.read(uint64(n))
	if err != nil {
		return 0, err
	}
	var x uint64
	for k := n - 1; k >= 0; k-- {
		x = x<<8 | uint64(b[k])
	}
	return x, nil
}

func (u *unpickler) fence() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	n := len(u.stack)
	if n <= u.fence() {
		return nil, u.fail(ErrSyntax, "unpickling stack underflow")
	}
	v := u.stack[n-1]
	u.stack[n-1] = nil
	u.stack = u.stack[:n-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	n := len(u.stack)
	if n <= u.fence() {
		return nil, u.fail(ErrSyntax, "unpickling stack underflow")
	}
	return u.stack[n-1], nil
}

func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.fail(ErrSyntax, "could not find MARK")
	}
	k := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[k:]...)
	clear(u.stack[k:])
	u.stack = u.stack[:k]
	return items, nil
}

func (u *unpickler) popN(n int) ([]any, error) {
	if len(u.stack)-u.fence() < n {
		return nil, u.fail(ErrSyntax, "unpickling stack underflow")
	}
	items := append([]any(nil), u.stack[len(u.stack)-n:]...)
	clear(u.stack[len(u.stack)-n:])
	u.stack = u.stack[:len(u.stack)-n]
	return items, nil
}

// run executes the pickle up to STOP and returns the value it leaves.
func (u *unpickler) run() (any, error) {
	for {
		u.op = u.i
		if u.i >= len(u.data) {
			if u.i == 0 {
				return nil, u.fail(ErrSyntax, "ran out of input")
			}
			return nil, u.truncated()
		}
		c := u.data[u.i]
		u.i++
		if c == '.' { // STOP
			return u.pop()
		}
		if err := u.step(c); err != nil {
			return nil, err
		}
	}
}

func (u *unpickler) step(c byte) error {
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

func (u *unpickler) global(module, name string) (pyGlobal, error) {
	g, ok := allowedGlobals[module+" "+name]
	if !ok {
		return "", u.fail(ErrUnsafePickle, "global %.64q is not allowed", module+"."+name)
	}
	return g, nil
}

// textInt parses the argument of INT and LONG: a decimal integer.
func (u *unpickler) textInt(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || len(digits) > maxIntDigits || strings.Trim(digits, "0123456789") != "" {
		return nil, u.fail(ErrSyntax, "invalid integer %.64q", s)
	}
	b, _ := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	return b, nil
}

func (u *unpickler) textFloat(s string) (float64, error) {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
	default:
		if s == "" || strings.Trim(s, "0123456789+-.eE") != "" {
			return 0, u.fail(ErrSyntax, "invalid float %.64q", s)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, u.fail(ErrSyntax, "invalid float %.64q", s)
	}
	return f, nil
}

// decodeLong reads a little-endian two's complement integer (LONG1/LONG4).
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var x uint64
		for k := len(b) - 1; k >= 0; k-- {
			x = x<<8 | uint64(b[k])
		}
		if n := len(b); n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			x |= ^uint64(0) << (8 * n) // sign-extend
		}
		return int64(x)
	}
	be := make([]byte, len(b))
	for k := range b {
		be[len(b)-1-k] = b[k]
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

// rawUnicodeEscape decodes Python's raw-unicode-escape codec (protocol 0
// UNICODE): bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX
// after an odd number of backslashes.
func (u *unpickler) rawUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for k := 0; k < len(s); {
		if s[k] != '\\' {
			b.WriteRune(rune(s[k]))
			k++
			continue
		}
		run := k
		for k < len(s) && s[k] == '\\' {
			k++
		}
		n := k - run
		if n%2 == 0 || k >= len(s) || (s[k] != 'u' && s[k] != 'U') {
			b.WriteString(s[run:k])
			continue
		}
		b.WriteString(s[run : k-1])
		width := 4
		if s[k] == 'U' {
			width = 8
		}
		k++
		if k+width > len(s) {
			return "", u.fail(ErrSyntax, "truncated \\uXXXX escape")
		}
		r, err := strconv.ParseUint(s[k:k+width], 16, 32)
		if err != nil || strings.ContainsAny(s[k:k+width], "+-_") {
			return "", u.fail(ErrSyntax, "truncated \\uXXXX escape")
		}
		if r > unicode10FFFF {
			return "", u.fail(ErrSyntax, "\\Uxxxxxxxx out of range")
		}
		if r >= 0xd800 && r <= 0xdfff {
			return "", u.fail(ErrUnsupportedValue, "string holds a lone surrogate, which has no Go counterpart")
		}
		b.WriteRune(rune(r))
		k += width
	}
	return b.String(), nil
}

const unicode10FFFF = 0x10ffff

// escapeDecode undoes Python's string escapes (codecs.escape_decode), the
// form of protocol 0's STRING argument.
func (u *unpickler) escapeDecode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		k++
		if k >= len(s) {
			return nil, u.fail(ErrSyntax, "trailing \\ in string")
		}
		switch c = s[k]; c {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, 11)
		case 'x':
			if k+3 > len(s) {
				return nil, u.fail(ErrSyntax, "invalid \\x escape")
			}
			x, err := strconv.ParseUint(s[k+1:k+3], 16, 8)
			if err != nil || strings.ContainsAny(s[k+1:k+3], "+-_") {
				return nil, u.fail(ErrSyntax, "invalid \\x escape")
			}
			out = append(out, byte(x))
			k += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			x := int(c - '0')
			for j := 0; j < 2 && k+1 < len(s) && s[k+1] >= '0' && s[k+1] <= '7'; j++ {
				k++
				x = x*8 + int(s[k]-'0')
			}
			out = append(out, byte(x))
		default:
			out = append(out, '\\', c)
		}
	}
	return out, nil
}

// asciiString is Python 3's default decoding of a Python 2 str.
func (u *unpickler) asciiString(b []byte) (string, error) {
	for _, c := range b {
		if c >= 0x80 {
			return "", u.fail(ErrUnsupportedValue, "Python 2 str with non-ASCII bytes (Python 3 refuses it too)")
		}
	}
	return string(b), nil
}

// call runs REDUCE: one of the allowed functions, with args.
func (u *unpickler) call(fn any, args taggedjson.Tuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, u.fail(ErrSyntax, "REDUCE on %s, which is not callable", pyTypeName(fn))
	}
	bad := func() error {
		return u.fail(ErrUnsupportedValue, "unexpected arguments to %s: %s", g, describeArgs(args))
	}
	switch g {
	case gDatetime:
		return u.datetime(args)
	case gDate:
		var y, m, d int
		if state, ok := stateBytes(args, 4); ok && len(args) == 1 {
			y, m, d = int(state[0])<<8|int(state[1]), int(state[2]), int(state[3])
		} else if ints, ok := smallInts(args, 3, 3); ok {
			y, m, d = ints[0], ints[1], ints[2]
		} else {
			return nil, bad()
		}
		if !validDate(y, m, d) {
			return nil, u.fail(ErrUnsupportedValue, "invalid date %d-%d-%d", y, m, d)
		}
		// Flask-Session 0.8 writes a date as this string; a Go session has no
		// date type.
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d), nil
	case gTimedelta:
		var parts [3]*big.Int
		for k := range parts {
			parts[k] = new(big.Int)
		}
		if len(args) > 3 {
			return nil, bad()
		}
		for k, a := range args {
			i, b, ok := intValue(a)
			if !ok {
				return nil, bad()
			}
			if b == nil {
				b = big.NewInt(i)
			}
			parts[k] = b
		}
		return u.timedelta(parts[0], parts[1], parts[2])
	case gTimezone:
		if len(args) < 1 || len(args) > 2 {
			return nil, bad()
		}
		td, ok := args[0].(*pyTimedelta)
		if !ok {
			return nil, bad()
		}
		if len(args) == 2 {
			if _, ok := args[1].(string); !ok {
				return nil, bad()
			}
		}
		if td.days < -1 || td.days > 0 || (td.days == -1 && td.seconds == 0 && td.micros == 0) {
			return nil, u.fail(ErrUnsupportedValue, "timezone offset must be strictly between -24 and 24 hours")
		}
		if td.micros != 0 {
			return nil, u.fail(ErrUnsupportedValue, "timezone offset with microseconds has no Go counterpart")
		}
		return &pyTimezone{offset: int(td.days*86400 + td.seconds)}, nil
	case gEncode:
		if len(args) < 1 || len(args) > 2 {
			return nil, bad()
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, bad()
		}
		enc := "utf-8"
		if len(args) == 2 {
			if enc, ok = args[1].(string); !ok {
				return nil, bad()
			}
		}
		return u.encode(s, enc)
	case gSet, gFrozenset:
		var items []any
		switch len(args) {
		case 0:
		case 1:
			switch x := args[0].(type) {
			case *pyList:
				items = append(items, x.items...)
			case taggedjson.Tuple:
				items = append(items, x...)
			case *pySet:
				items = append(items, x.items...)
			default:
				return nil, bad()
			}
		default:
			return nil, bad()
		}
		if err := u.hashable(items); err != nil {
			return nil, err
		}
		return &pySet{items: items, frozen: g == gFrozenset}, nil
	case gBytes, gBytearray:
		switch len(args) {
		case 0:
			return []byte{}, nil
		case 1:
			if b, ok := args[0].([]byte); ok {
				return append([]byte{}, b...), nil
			}
		case 2:
			s, ok1 := args[0].(string)
			enc, ok2 := args[1].(string)
			if ok1 && ok2 {
				return u.encode(s, enc)
			}
		}
		return nil, bad()
	case gReconstructor:
		if len(args) != 3 {
			return nil, bad()
		}
		switch {
		case args[0] == gMarkup && args[1] == gStr:
			if s, ok := args[2].(string); ok {
				return taggedjson.Markup(s), nil
			}
		case args[0] == gUUID && args[1] == gObject && args[2] == nil:
			return &pyUUID{}, nil
		}
		return nil, u.fail(ErrUnsafePickle, "copyreg._reconstructor%s is not allowed", describeArgs(args))
	case gMarkup:
		switch len(args) {
		case 0:
			return taggedjson.Markup(""), nil
		case 1:
			if s, ok := args[0].(string); ok {
				return taggedjson.Markup(s), nil
			}
		}
		return nil, bad()
	}
	return nil, u.fail(ErrUnsafePickle, "calling %s is not allowed", g)
}

// newObj runs NEWOBJ: cls.__new__(cls, *args).
func (u *unpickler) newObj(cls any, args taggedjson.Tuple) (any, error) {
	switch cls {
	case gMarkup:
		return u.call(gMarkup, args)
	case gUUID:
		if len(args) == 0 {
			return &pyUUID{}, nil
		}
	}
	return nil, u.fail(ErrUnsafePickle, "creating %s%s is not allowed", pyTypeName(cls), describeArgs(args))
}

// build runs BUILD (obj.__setstate__(state)); only uuid.UUID needs it.
func (u *unpickler) build(obj, state any) error {
	if state == nil {
		return nil // Python skips a None state
	}
	id, ok := obj.(*pyUUID)
	if !ok {
		return u.fail(ErrUnsupportedValue, "BUILD on %s is not supported", pyTypeName(obj))
	}
	var attrs map[string]any
	switch s := state.(type) {
	case *pyDict:
		attrs = s.m
	case taggedjson.Tuple: // (dict state, slot state)
		attrs = map[string]any{}
		for _, part := range s {
			if d, ok := part.(*pyDict); ok {
				for k, v := range d.m {
					attrs[k] = v
				}
			} else if part != nil || len(s) != 2 {
				return u.fail(ErrSyntax, "invalid UUID state")
			}
		}
	default:
		return u.fail(ErrSyntax, "invalid UUID state")
	}
	for k, v := range attrs {
		switch k {
		case "int":
			i, b, ok := intValue(v)
			if !ok {
				return u.fail(ErrSyntax, "UUID int is %s", pyTypeName(v))
			}
			if b == nil {
				b = big.NewInt(i)
			}
			if b.Sign() < 0 || b.BitLen() > 128 {
				return u.fail(ErrUnsupportedValue, "UUID int out of range")
			}
			var raw [16]byte
			b.FillBytes(raw[:])
			id.id, id.built = raw, true
		case "is_safe": // uuid.SafeUUID's value; meaningless here
		default:
			return u.fail(ErrUnsupportedValue, "unexpected UUID attribute %.64q", k)
		}
	}
	return nil
}

func (u *unpickler) encode(s, enc string) ([]byte, error) {
	switch strings.ToLower(strings.ReplaceAll(enc, "_", "-")) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return nil, u.fail(ErrSyntax, "'latin-1' codec can't encode character %U", r)
			}
			b = append(b, byte(r))
		}
		return b, nil
	case "utf-8", "utf8":
		return []byte(s), nil
	}
	return nil, u.fail(ErrUnsupportedValue, "encoding %.64q is not supported", enc)
}

func (u *unpickler) datetime(args taggedjson.Tuple) (any, error) {
	var f [7]int // year, month, day, hour, minute, second, microsecond
	var tzArg any
	if state, ok := stateBytes(args, 10); ok && len(args) <= 2 && state[2]&0x7f >= 1 && state[2]&0x7f <= 12 {
		f = [7]int{int(state[0])<<8 | int(state[1]), int(state[2] & 0x7f), int(state[3]), int(state[4]), int(state[5]), int(state[6]),
			int(state[7])<<16 | int(state[8])<<8 | int(state[9])}
		if len(args) == 2 {
			tzArg = args[1]
		}
	} else {
		n := len(args)
		if n == 8 {
			tzArg, n = args[7], 7
		}
		ints, ok := smallInts(args[:n], 3, 7)
		if !ok {
			return nil, u.fail(ErrUnsupportedValue, "unexpected arguments to datetime.datetime: %s", describeArgs(args))
		}
		copy(f[:], ints)
	}
	if !validDate(f[0], f[1], f[2]) || f[3] > 23 || f[4] > 59 || f[5] > 59 || f[6] > 999999 || f[3] < 0 || f[4] < 0 || f[5] < 0 || f[6] < 0 {
		return nil, u.fail(ErrUnsupportedValue, "invalid datetime fields %v", f)
	}
	loc := time.UTC // a naive datetime is taken as UTC
	switch tz := tzArg.(type) {
	case nil:
	case *pyTimezone:
		if tz.offset != 0 {
			loc = time.FixedZone("", tz.offset)
		}
	default:
		return nil, u.fail(ErrUnsupportedValue, "datetime tzinfo is %s; only datetime.timezone is supported", pyTypeName(tzArg))
	}
	return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, loc), nil
}

// timedelta normalises like Python: 0 <= seconds < 86400, 0 <= micros < 10**6.
func (u *unpickler) timedelta(days, secs, micros *big.Int) (any, error) {
	total := new(big.Int).Mul(days, big.NewInt(86400*1e6))
	total.Add(total, new(big.Int).Mul(secs, big.NewInt(1e6)))
	total.Add(total, micros)
	d, rem := new(big.Int).DivMod(total, big.NewInt(86400*1e6), new(big.Int))
	if !d.IsInt64() || d.Int64() < -999999999 || d.Int64() > 999999999 {
		return nil, u.fail(ErrUnsupportedValue, "timedelta out of range")
	}
	r := rem.Int64()
	return &pyTimedelta{days: d.Int64(), seconds: r / 1e6, micros: r % 1e6}, nil
}

// stateBytes returns the first argument when it is the binary state of a
// date/datetime: bytes of length n, or a str of n Latin-1 characters
// (Python 2 pickles).
func stateBytes(args taggedjson.Tuple, n int) ([]byte, bool) {
	if len(args) == 0 {
		return nil, false
	}
	switch x := args[0].(type) {
	case []byte:
		return x, len(x) == n
	case string:
		b := make([]byte, 0, n)
		for _, r := range x {
			if r > 0xff {
				return nil, false
			}
			b = append(b, byte(r))
		}
		return b, len(b) == n
	}
	return nil, false
}

// smallInts returns args as ints when there are min..max of them and each
// is an int of modest size.
func smallInts(args taggedjson.Tuple, min, max int) ([]int, bool) {
	if len(args) < min || len(args) > max {
		return nil, false
	}
	out := make([]int, len(args))
	for k, a := range args {
		i, ok := a.(int64)
		if !ok || i < -1<<31 || i > 1<<31 {
			return nil, false
		}
		out[k] = int(i)
	}
	return out, true
}

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func describeArgs(args taggedjson.Tuple) string {
	// An error message names a few arguments, never the whole input.
	const maxNamed = 8
	names := make([]string, 0, min(len(args), maxNamed+1))
	for k, a := range args {
		if k == maxNamed {
			names = append(names, "... "+strconv.Itoa(len(args)-maxNamed)+" more")
			break
		}
		names = append(names, pyTypeName(a))
	}
	return "(" + strings.Join(names, ", ") + ")"
}

func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case taggedjson.Markup:
		return "markupsafe.Markup"
	case time.Time:
		return "datetime.datetime"
	case taggedjson.Tuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pySet:
		if x.frozen {
			return "frozenset"
		}
		return "set"
	case pyGlobal:
		return string(x)
	case *pyTimedelta:
		return "datetime.timedelta"
	case *pyTimezone:
		return "datetime.timezone"
	case *pyUUID:
		return "uuid.UUID"
	}
	return fmt.Sprintf("%T", v)
}

// finisher turns the unpickled object graph into session values.
type finisher struct {
	budget int
	active map[any]bool // containers being converted, to refuse cycles
}

type finishError struct {
	err error
	msg string
}

func (e *finishError) Error() string { return e.msg }
func (e *finishError) Unwrap() error { return e.err }

func sentinelOf(err error) error {
	if fe, ok := err.(*finishError); ok {
		return fe.err
	}
	return ErrSyntax
}

func (f *finisher) enter(p any, depth int) error {
	if depth >= MaxDepth {
		return &finishError{ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth)}
	}
	if f.active[p] {
		return &finishError{ErrUnsupportedValue, "a container holds itself; session values cannot be recursive"}
	}
	f.active[p] = true
	return nil
}

func (f *finisher) list(items []any, depth int) ([]any, error) {
	out := make([]any, len(items))
	for k, e := range items {
		g, err := f.value(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = g
	}
	return out, nil
}

func (f *finisher) value(v any, depth int) (any, error) {
	// The budget counts bytes, not values: one long string referenced
	// from many places is as costly to hold and re-encode as many strings.
	cost := 1
	switch x := v.(type) {
	case string:
		cost += len(x)
	case []byte:
		cost += len(x)
	case taggedjson.Markup:
		cost += len(x)
	}
	if f.budget -= cost; f.budget < 0 {
		return nil, &finishError{ErrTooLarge, "the pickle refers to its values so often that it would expand to too many bytes"}
	}
	switch x := v.(type) {
	case *pyDict:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		out := make(map[string]any, len(x.m))
		for k, e := range x.m {
			g, err := f.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		return out, nil
	case *pyList:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		return f.list(x.items, depth)
	case *pySet:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		return f.list(x.items, depth)
	case taggedjson.Tuple:
		if depth >= MaxDepth {
			return nil, &finishError{ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth)}
		}
		l, err := f.list(x, depth)
		return taggedjson.Tuple(l), err
	case *pyUUID:
		if !x.built {
			return nil, &finishError{ErrSyntax, "uuid.UUID without its int attribute"}
		}
		return x.id, nil
	case pyGlobal, *pyTimedelta, *pyTimezone:
		return nil, &finishError{ErrUnsupportedValue, "a " + pyTypeName(v) + " object is not a session value Go can hold"}
	}
	return v, nil
}
