package flasksession

import (
	"fmt"

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
	pyDict struct {
		m    map[string]any
		keys []string // insertion order, as Python keeps it
	}
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
	case 0x80, 0x95, '(', '0', '1', '2':
		return u.stackOp(c)
	case 'N', 0x88, 0x89, 'I', 'L', 'J', 'K', 'M', 0x8a, 0x8b, 'F', 'G', 'V', 'X', 0x8c, 0x8d, 'S', 'T', 'U', 'B', 'C', 0x8e, 0x96:
		return u.scalarOp(c)
	case ')', 't', 0x85, 0x86, 0x87, ']', 'l', 'a', 'e', '}', 'd', 's', 'u', 0x8f, 0x90, 0x91:
		return u.containerOp(c)
	case 'p', 'q', 'r', 0x94, 'g', 'h', 'j':
		return u.memoOp(c)
	case 'c', 0x93, 'R', 0x81, 0x92, 'b', 'i', 'o', 'P', 'Q', 0x82, 0x83, 0x84, 0x97, 0x98:
		return u.objectOp(c)
	}
	return u.fail(ErrSyntax, "invalid load key, '\\x%02x'", c)
}
