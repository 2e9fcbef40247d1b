package taggedjson

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package matches exactly one
// of them with errors.Is.
var (
	// ErrSyntax: the input is not JSON that Python's json module accepts
	// (including invalid UTF-8 and integers longer than 4300 digits).
	ErrSyntax = errors.New("taggedjson: invalid JSON")
	// ErrInvalidTag: the JSON is well formed but a tagged object cannot be
	// converted back (for example {" u": "not a uuid"}); Flask fails such a
	// request with HTTP 500.
	ErrInvalidTag = errors.New("taggedjson: invalid tagged value")
	// ErrNotObject: the document is valid but is not a JSON object (after
	// untagging), so it cannot be a session.
	ErrNotObject = errors.New("taggedjson: top-level value is not an object")
	// ErrTooDeep: containers are nested more than MaxDepth levels (or a
	// value refers to itself).
	ErrTooDeep = errors.New("taggedjson: nesting too deep")
	// ErrUnsupportedType: Marshal met a Go type with no JSON form (channel,
	// function, complex number, map with unsupported key type, ...).
	ErrUnsupportedType = errors.New("taggedjson: unsupported type")
	// ErrUnsupportedValue: Marshal met a value that Python could not write
	// (a datetime outside years 1-9999, an integer over 4300 digits, an
	// invalid json.Number, ...).
	ErrUnsupportedValue = errors.New("taggedjson: unsupported value")
)

// MaxDepth is the deepest container nesting that Marshal writes and
// Unmarshal reads. It mirrors CPython's default recursion limit, which
// bounds what Flask itself can read and write, and keeps a self-referencing
// value from recursing forever.
const MaxDepth = 1000

// DecodeError describes why Unmarshal failed and where.
type DecodeError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what went wrong, in the words of Python's json module where possible
	Err    error  // ErrSyntax, ErrInvalidTag, ErrNotObject or ErrTooDeep
}

// Error implements the error interface.
func (e *DecodeError) Error() string {
	return e.Err.Error() + ": " + e.Msg + " (offset " + strconv.Itoa(e.Offset) + ")"
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError describes why Marshal failed and for which value.
type EncodeError struct {
	// Path locates the offending value from the top, e.g. ["cart"]["items"][3];
	// empty for the top-level value itself.
	Path string
	Msg  string // what went wrong
	Err  error  // ErrUnsupportedType, ErrUnsupportedValue or ErrTooDeep

	segs []string // path segments, innermost first, collected while unwinding
}

// Error implements the error interface.
func (e *EncodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *EncodeError) Unwrap() error { return e.Err }

func encErr(sentinel error, msg string) error {
	return &EncodeError{Msg: msg, Err: sentinel}
}

// atKey and atIndex record where in the value tree an error happened; they
// are called on the way out of the recursion.
func atKey(err error, key string) error {
	if e, ok := err.(*EncodeError); ok {
		e.segs = append(e.segs, "["+strconv.Quote(key)+"]")
	}
	return err
}

func atIndex(err error, i int) error {
	if e, ok := err.(*EncodeError); ok {
		e.segs = append(e.segs, "["+strconv.Itoa(i)+"]")
	}
	return err
}

// finish turns the collected segments into Path; called by the exported
// entry points.
func finish(err error) error {
	if e, ok := err.(*EncodeError); ok && len(e.segs) > 0 {
		var b strings.Builder
		b.WriteString(e.Path)
		for i := len(e.segs) - 1; i >= 0; i-- {
			b.WriteString(e.segs[i])
		}
		e.Path = b.String()
		e.segs = nil
	}
	return err
}
