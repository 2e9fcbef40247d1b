package taggedjson

import (
	"math"
	"math/big"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// untagObject converts a one-key object whose key is a tag key, as Flask's
// TaggedJSONSerializer.untag does. val is already untagged. Where Flask
// would raise (HTTP 500) this returns ErrInvalidTag; where Flask quietly
// accepts odd input (a " t" over a string, a " d" it cannot parse) this
// does the same thing Flask does.
func (d *decoder) untagObject(start int, key string, val any, diFirst string, tStart, tEnd int) (any, error) {
	switch key {
	case " di":
		inner, ok := val.(map[string]any)
		if !ok || len(inner) == 0 {
			return nil, tagErr(start, key, "needs a non-empty object, got "+pyTypeName(val))
		}
		// Flask drops the last two characters without checking for "__".
		k := dropLastRunes(diFirst, 2)
		d.firstKey = k
		return map[string]any{k: inner[diFirst]}, nil
	case " t":
		return d.untagTuple(start, val, tStart, tEnd)
	case " b":
		var b []byte
		var err error
		switch x := val.(type) {
		case string:
			b, err = b64DecodeString(x)
		case Markup:
			b, err = b64DecodeString(string(x))
		case []byte:
			b, err = pyB64Decode(x)
		default:
			return nil, tagErr(start, key, "needs a string, got "+pyTypeName(val))
		}
		if err != nil {
			return nil, tagErr(start, key, err.Error())
		}
		return b, nil
	case " m":
		// Markup(value) is str(value) for anything that is not text.
		switch x := val.(type) {
		case string:
			return Markup(x), nil
		case Markup:
			return x, nil
		case UUID:
			return Markup(x.String()), nil
		}
		var b []byte
		b, ok := appendPyRepr(b, val)
		if !ok {
			return nil, tagErr(start, key, "str() of "+pyTypeName(val)+" "+notReproducible)
		}
		return Markup(b), nil
	case " u":
		var s string
		switch x := val.(type) {
		case string:
			s = x
		case Markup:
			s = string(x)
		default:
			return nil, tagErr(start, key, "needs a string, got "+pyTypeName(val))
		}
		u, err := ParseUUID(s)
		if err != nil {
			return nil, tagErr(start, key, err.Error())
		}
		return u, nil
	case " d":
		return untagDate(start, val)
	}
	return nil, tagErr(start, key, "unknown tag") // unreachable: key is a tag key
}

func tagErr(off int, key, msg string) error {
	return &DecodeError{Offset: off, Msg: "tag " + strconv.Quote(key) + ": " + msg, Err: ErrInvalidTag}
}

// untagTuple is Python's tuple(value).
func (d *decoder) untagTuple(start int, val any, tStart, tEnd int) (any, error) {
	switch x := val.(type) {
	case []any:
		return Tuple(x), nil
	case Tuple:
		return x, nil
	case string:
		return runeTuple(x), nil
	case Markup:
		return runeTuple(string(x)), nil
	case []byte:
		t := make(Tuple, len(x))
		for i, c := range x {
			t[i] = int64(c)
		}
		return t, nil
	case map[string]any: // tuple(dict) lists the keys in insertion order
		switch len(x) {
		case 0:
			return Tuple{}, nil
		case 1:
			for k := range x {
				return Tuple{k}, nil
			}
		}
		keys, err := objectKeys(d.s[tStart:tEnd])
		if err != nil {
			return nil, err
		}
		t := make(Tuple, len(keys))
		for i, k := range keys {
			t[i] = k
		}
		return t, nil
	}
	return nil, tagErr(start, " t", pyTypeName(val)+" is not iterable")
}

func runeTuple(s string) Tuple {
	t := make(Tuple, 0, len(s))
	for _, r := range s {
		t = append(t, string(r))
	}
	return t
}

// objectKeys lists the distinct keys of a JSON object in order of first
// appearance, which is the iteration order of the dict Python builds.
func objectKeys(raw string) ([]string, error) {
	d := decoder{s: raw}
	d.i++ // '{'
	var keys []string
	seen := map[string]bool{}
	for {
		d.skipWS()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
		d.skipWS()
		d.i++ // ':'
		d.skipWS()
		if _, err := d.value(); err != nil {
			return nil, err
		}
		d.skipWS()
		if d.s[d.i] == '}' {
			return keys, nil
		}
		d.i++ // ','
	}
}

// untagDate is werkzeug's parse_date(value): text it cannot parse becomes
// None, as do None and other "falsy" values; other non-text values make
// Flask fail.
func untagDate(start int, val any) (any, error) {
	var s string
	switch x := val.(type) {
	case string:
		s = x
	case Markup:
		s = string(x)
	case nil:
		return nil, nil
	case []byte:
		// bytes.split() works but the next step raises TypeError, which
		// werkzeug catches: always None.
		return nil, nil
	default:
		if isFalsy(val) {
			return nil, nil
		}
		return nil, tagErr(start, " d", "needs a string, got "+pyTypeName(val))
	}
	t, ok, err := parseDate(s)
	if err != nil {
		return nil, tagErr(start, " d", err.Error())
	}
	if !ok {
		return nil, nil
	}
	return t, nil
}

func isFalsy(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case int64:
		return x == 0
	case *big.Int:
		return x.Sign() == 0
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case Tuple:
		return len(x) == 0
	}
	return false
}

// dropLastRunes is Python's s[:-n] on code points.
func dropLastRunes(s string, n int) string {
	for ; n > 0 && len(s) > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// FloatRepr is Python's repr(float): the shortest digits that round-trip,
// written like the JSON form, but with inf, -inf and nan.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	var buf [32]byte
	return string(appendFloat(buf[:0], f, 64))
}

// notReproducible marks the few inputs Flask accepts but this package
// rejects because the Go value model has lost what Python would print
// (a datetime's original UTC offset, the key order of a dict).
const notReproducible = "cannot be reproduced (Flask would accept it)"

// appendPyRepr appends Python's repr(v) for decoded values. It reports
// false for datetimes (whose original offset was dropped when converting
// to UTC) and for dicts with more than one key (whose order is lost).
func appendPyRepr(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "None"...), true
	case bool:
		if x {
			return append(dst, "True"...), true
		}
		return append(dst, "False"...), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case *big.Int:
		return x.Append(dst, 10), true
	case float64:
		return append(dst, FloatRepr(x)...), true
	case string:
		return appendPyStrRepr(dst, x), true
	case Markup:
		dst = append(dst, "Markup("...)
		dst = appendPyStrRepr(dst, string(x))
		return append(dst, ')'), true
	case UUID:
		dst = append(dst, "UUID('"...)
		dst = append(dst, x.String()...)
		return append(dst, "')"...), true
	case []byte:
		return appendPyBytesRepr(dst, x), true
	case []any:
		return appendPySeqRepr(dst, x, '[', ']', false)
	case Tuple:
		return appendPySeqRepr(dst, x, '(', ')', len(x) == 1)
	case map[string]any:
		if len(x) > 1 {
			return dst, false
		}
		dst = append(dst, '{')
		for k, e := range x {
			dst = appendPyStrRepr(dst, k)
			dst = append(dst, ": "...)
			var ok bool
			if dst, ok = appendPyRepr(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}

func appendPySeqRepr(dst []byte, list []any, open, close byte, trailingComma bool) ([]byte, bool) {
	dst = append(dst, open)
	for i, e := range list {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		var ok bool
		if dst, ok = appendPyRepr(dst, e); !ok {
			return dst, false
		}
	}
	if trailingComma {
		dst = append(dst, ',')
	}
	return append(dst, close), true
}

// pyQuote picks the quote character Python's repr uses: ' unless the text
// contains ' and no ".
func pyQuote[T string | []byte](s T) byte {
	single, double := false, false
	for i := 0; i < len(s); i++ {
		single = single || s[i] == '\''
		double = double || s[i] == '"'
	}
	if single && !double {
		return '"'
	}
	return '\''
}

func appendPyStrRepr(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	q := pyQuote(s)
	dst = append(dst, q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r < 0x7f && r >= 0x20:
			dst = append(dst, byte(r))
		case unicode.IsPrint(r): // Python's str.isprintable() is the same set
			dst = utf8.AppendRune(dst, r)
		case r < 0x100:
			dst = append(dst, '\\', 'x', hex[r>>4], hex[r&0xf])
		case r < 0x10000:
			dst = append(dst, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			dst = append(dst, '\\', 'U')
			for shift := 28; shift >= 0; shift -= 4 {
				dst = append(dst, hex[r>>shift&0xf])
			}
		}
	}
	return append(dst, q)
}

func appendPyBytesRepr(dst []byte, b []byte) []byte {
	const hex = "0123456789abcdef"
	q := pyQuote(b)
	dst = append(dst, 'b', q)
	for _, c := range b {
		switch {
		case c == q || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, q)
}
