package flasksession

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by this package matches one of them
// with errors.Is.
var (
	// ErrSyntax: the input is not well-formed data of the format (truncated,
	// an unknown opcode or type byte, bytes after the end of a MessagePack or
	// JSON value, an invalid timestamp). Chain falls back to the next format
	// only on this error, as Flask-Session 0.8 does.
	ErrSyntax = errors.New("flasksession: malformed data")
	// ErrNotMap: the data is well formed but its top-level value is not a
	// map/dict, so it cannot be a session (Flask answers such entries with
	// HTTP 500).
	ErrNotMap = errors.New("flasksession: top-level value is not a map")
	// ErrUnsafePickle: the pickle refers to a global (class or function)
	// outside the allowed list, or uses an opcode that could run code or
	// needs external state (INST, OBJ, persistent ids, extension codes,
	// out-of-band buffers). Nothing is executed.
	ErrUnsafePickle = errors.New("flasksession: pickle refers to code that is not allowed")
	// ErrUnsupportedValue: a value that is valid on one side has no
	// counterpart on the other: a non-string dict key, a MessagePack
	// extension type, an integer msgpack cannot hold, a string that is not
	// valid UTF-8, a time outside years 1-9999, ...
	ErrUnsupportedValue = errors.New("flasksession: unsupported value")
	// ErrUnsupportedType: Marshal met a Go type it cannot write.
	ErrUnsupportedType = errors.New("flasksession: unsupported type")
	// ErrTooDeep: containers nest more than MaxDepth levels (or a value
	// contains itself).
	ErrTooDeep = errors.New("flasksession: nesting too deep")
	// ErrTooLarge: a pickle refers to the same containers so often that
	// decoding it would build far more values than its size justifies.
	ErrTooLarge = errors.New("flasksession: pickle expands to too many values")
)

// MaxDepth is the deepest container nesting read or written. It mirrors
// CPython's default recursion limit, which bounds what Flask itself handles.
const MaxDepth = 1000

// DecodeError says why Unmarshal failed and where.
type DecodeError struct {
	Format string // "msgpack", "json" or "pickle"
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what went wrong
	Err    error  // one of the sentinel errors
}

// Error implements the error interface.
func (e *DecodeError) Error() string {
	return "flasksession: " + e.Format + ": " + e.Msg + " (offset " + strconv.Itoa(e.Offset) + ")"
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError says which value Marshal could not write and why.
type EncodeError struct {
	Format string // "msgpack" or "pickle"
	Path   string // the value's place from the top, e.g. ["cart"][3]; "" for the session itself
	Msg    string // what went wrong
	Err    error  // one of the sentinel errors
}

// Error implements the error interface.
func (e *EncodeError) Error() string {
	at := e.Path
	if at == "" {
		at = "(top)"
	}
	return "flasksession: " + e.Format + ": cannot encode " + at + ": " + e.Msg
}

// Unwrap returns the sentinel error.
func (e *EncodeError) Unwrap() error { return e.Err }

// inPath prefixes the path of an *EncodeError as it travels up through a
// container.
func inPath(err error, elem string) error {
	var e *EncodeError
	if errors.As(err, &e) {
		e.Path = elem + e.Path
	}
	return err
}

func keyElem(k string) string { return "[" + strconv.Quote(k) + "]" }

func indexElem(i int) string { return "[" + strconv.Itoa(i) + "]" }
