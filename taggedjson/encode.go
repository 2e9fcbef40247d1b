package taggedjson

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Marshal returns the JSON text Flask writes for the session m: the tagged
// form of m (§7.1 of the cookie spec), sorted by key at every depth, with
// no whitespace and every non-ASCII character escaped, exactly as Python's
// json.dumps(tag(m), sort_keys=True, ensure_ascii=True, separators=(",", ":")).
//
// A nil map encodes as {}. Errors are *EncodeError values that name the
// path of the offending value and match ErrUnsupportedType,
// ErrUnsupportedValue or ErrTooDeep.
func Marshal(m map[string]any) ([]byte, error) {
	var e encoder
	dst := make([]byte, 0, 256)
	if m == nil {
		return append(dst, "{}"...), nil
	}
	dst, err := e.appendMap(dst, m, 0)
	if err != nil {
		return nil, finish(err)
	}
	return dst, nil
}

// AppendValue appends the tagged JSON encoding of one value to dst, with
// the same rules as Marshal (a single-key map whose key is a tag key is
// escaped with " di" at this level too). On error dst is returned
// unchanged.
func AppendValue(dst []byte, v any) ([]byte, error) {
	var e encoder
	out, err := e.appendValue(dst, v, 0)
	if err != nil {
		return dst, finish(err)
	}
	return out, nil
}

// encoder holds the encoding methods. It has no state: each map level sorts
// its keys in a small array on its own stack frame, so ordinary sessions
// encode without allocating anything but the output.
type encoder struct{}

func tooDeep() error {
	return encErr(ErrTooDeep, "more than "+strconv.Itoa(MaxDepth)+" nested containers (or a value that contains itself)")
}

// isTagKey reports whether k is one of Flask's six tag keys.
func isTagKey(k string) bool {
	switch k {
	case " di", " t", " b", " m", " u", " d":
		return true
	}
	return false
}

func (e *encoder) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case float32:
		return appendFloat(dst, float64(x), 32), nil
	case map[string]any:
		return appendMapOf(e, dst, x, depth)
	case []any:
		return appendListOf(e, dst, x, depth)
	case Tuple:
		return e.appendTuple(dst, x, depth)
	case []byte:
		return appendBytes(dst, x, depth)
	case UUID:
		return appendUUID(dst, x, depth)
	case time.Time:
		return appendTime(dst, x, depth)
	case Markup:
		if depth >= MaxDepth {
			return dst, tooDeep()
		}
		dst = append(dst, `{" m":`...)
		dst = appendString(dst, string(x))
		return append(dst, '}'), nil
	case *big.Int:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendBigInt(dst, x)
	case big.Int:
		return appendBigInt(dst, &x)
	case json.Number:
		return appendNumber(dst, x)
	case []string:
		return appendListOf(e, dst, x, depth)
	case []int:
		return appendListOf(e, dst, x, depth)
	case []int64:
		return appendListOf(e, dst, x, depth)
	case []float64:
		return appendListOf(e, dst, x, depth)
	case []map[string]any:
		return appendListOf(e, dst, x, depth)
	case map[string]string:
		return appendMapOf(e, dst, x, depth)
	case map[string]int:
		return appendMapOf(e, dst, x, depth)
	case map[string]int64:
		return appendMapOf(e, dst, x, depth)
	case map[string]bool:
		return appendMapOf(e, dst, x, depth)
	case map[string]float64:
		return appendMapOf(e, dst, x, depth)
	}
	return e.appendReflect(dst, v, depth)
}

// appendMap is appendMapOf for the session type, kept as a method so that
// Marshal's call is direct.
func (e *encoder) appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	return appendMapOf(e, dst, m, depth)
}

// appendMapOf writes a string-keyed map: escaped with " di" when its only
// key is a tag key, otherwise as an object with keys in code point order.
func appendMapOf[V any](e *encoder, dst []byte, m map[string]V, depth int) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	var err error
	if len(m) <= 1 {
		dst = append(dst, '{')
		for k, v := range m {
			if isTagKey(k) {
				return e.appendEscaped(dst[:len(dst)-1], k, v, depth)
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if dst, err = e.appendValue(dst, v, depth+1); err != nil {
				return dst, atKey(err, k)
			}
		}
		return append(dst, '}'), nil
	}
	var arr [16]string
	keys := arr[:0]
	valid := true
	for k := range m {
		keys = append(keys, k)
		if valid && !utf8.ValidString(k) {
			valid = false
		}
	}
	if !valid {
		return appendRepairedMap(e, dst, m, keys, depth)
	}
	sortStrings(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if dst, err = e.appendValue(dst, m[k], depth+1); err != nil {
			return dst, atKey(err, k)
		}
	}
	return append(dst, '}'), nil
}

// appendRepairedMap handles maps with keys that are not valid UTF-8: Python
// would see the repaired keys (U+FFFD for each bad byte), so they are sorted
// in that form, and two keys that repair to the same text are an error
// rather than a duplicate key in the output.
func appendRepairedMap[V any](e *encoder, dst []byte, m map[string]V, keys []string, depth int) ([]byte, error) {
	type pair struct{ fixed, orig string }
	pairs := make([]pair, len(keys))
	for i, k := range keys {
		pairs[i] = pair{repairUTF8(k), k}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		switch {
		case a.fixed < b.fixed:
			return -1
		case a.fixed > b.fixed:
			return 1
		}
		return 0
	})
	dst = append(dst, '{')
	var err error
	for i, p := range pairs {
		if i > 0 {
			if pairs[i-1].fixed == p.fixed {
				return dst, atKey(encErr(ErrUnsupportedValue, "two keys are the same text once invalid UTF-8 is replaced by U+FFFD"), p.fixed)
			}
			dst = append(dst, ',')
		}
		dst = appendString(dst, p.fixed)
		dst = append(dst, ':')
		if dst, err = e.appendValue(dst, m[p.orig], depth+1); err != nil {
			return dst, atKey(err, p.fixed)
		}
	}
	return append(dst, '}'), nil
}

// repairUTF8 replaces each byte that is not part of valid UTF-8 by U+FFFD,
// the same repair appendString applies while writing.
func repairUTF8(s string) string {
	out := make([]byte, 0, len(s)+8)
	for _, r := range s { // range yields U+FFFD for each invalid byte
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}

// appendEscaped writes Flask's " di" escape for a one-key map whose key is
// a tag key: {" di": {"<key>__": <value>}}.
func (e *encoder) appendEscaped(dst []byte, k string, v any, depth int) ([]byte, error) {
	if depth+1 >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, `{" di":{"`...)
	dst = append(dst, k...) // tag keys are plain ASCII
	dst = append(dst, `__":`...)
	dst, err := e.appendValue(dst, v, depth+2)
	if err != nil {
		return dst, atKey(err, k)
	}
	return append(dst, "}}"...), nil
}

func appendListOf[V any](e *encoder, dst []byte, list []V, depth int) ([]byte, error) {
	if list == nil {
		return append(dst, "null"...), nil
	}
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, '[')
	var err error
	for i, v := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.appendValue(dst, v, depth+1); err != nil {
			return dst, atIndex(err, i)
		}
	}
	return append(dst, ']'), nil
}

func (e *encoder) appendTuple(dst []byte, t Tuple, depth int) ([]byte, error) {
	if depth+1 >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, `{" t":[`...)
	var err error
	for i, v := range t {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.appendValue(dst, v, depth+2); err != nil {
			return dst, atIndex(err, i)
		}
	}
	return append(dst, "]}"...), nil
}

func appendBytes(dst, b []byte, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, `{" b":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, `"}`...), nil
}

func appendUUID(dst []byte, u UUID, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, `{" u":"`...)
	dst = u.appendHex(dst)
	return append(dst, `"}`...), nil
}

// appendTime writes werkzeug's http_date: the instant in UTC, fractional
// seconds dropped, English names, four-digit year.
func appendTime(dst []byte, t time.Time, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return dst, encErr(ErrUnsupportedValue, "time "+t.Format(time.RFC3339)+" is outside the years 1-9999 that Python's datetime supports")
	}
	dst = append(dst, `{" d":"`...)
	dst = t.AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 GMT")
	return append(dst, `"}`...), nil
}

// bitsFor4300Digits: any integer with fewer bits has at most 4300 decimal
// digits, so the digit count only needs checking above it.
const bitsFor4300Digits = 14280

func appendBigInt(dst []byte, x *big.Int) ([]byte, error) {
	if x.IsInt64() {
		return strconv.AppendInt(dst, x.Int64(), 10), nil
	}
	n := len(dst)
	dst = x.Append(dst, 10)
	if x.BitLen() > bitsFor4300Digits {
		digits := len(dst) - n
		if x.Sign() < 0 {
			digits--
		}
		if digits > pyMaxStrDigits {
			return dst[:n], encErr(ErrUnsupportedValue, "integer has "+strconv.Itoa(digits)+" digits; Python refuses to convert more than 4300")
		}
	}
	return dst, nil
}

// appendNumber writes a json.Number as the Python int or float it denotes.
func appendNumber(dst []byte, n json.Number) ([]byte, error) {
	s := string(n)
	isFloat, ok := scanNumber(s)
	if !ok {
		return dst, encErr(ErrUnsupportedValue, "json.Number "+strconv.Quote(s)+" is not a JSON number")
	}
	if isFloat {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return dst, encErr(ErrUnsupportedValue, "json.Number "+strconv.Quote(s)+": "+err.Error())
		}
		return appendFloat(dst, f, 64), nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.AppendInt(dst, i, 10), nil
	}
	var b big.Int
	b.SetString(s, 10) // grammar checked above
	return appendBigInt(dst, &b)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// scanNumber checks s against the JSON number grammar and reports whether
// Python would read it as a float.
func scanNumber(s string) (isFloat, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		isFloat = true
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		isFloat = true
	}
	return isFloat, i == len(s)
}

// appendFloat writes Python's repr of a float: the shortest digits that
// round-trip, fixed notation with a fractional part for decimal exponents
// -4..15, otherwise scientific notation with a two-digit signed exponent.
// bits is 32 for float32 values, whose shortest float32 digits are written
// (Python reads them back as the float64 nearest to those digits).
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	var scratch [32]byte
	sci := strconv.AppendFloat(scratch[:0], f, 'e', -1, bits)
	exp := 0
	for i := len(sci) - 1; i >= 0; i-- {
		if sci[i] == 'e' {
			exp, _ = strconv.Atoi(string(sci[i+1:]))
			break
		}
	}
	if exp < -4 || exp >= 16 {
		return append(dst, sci...)
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, bits)
	for _, c := range dst[n:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// asciiSafe marks the bytes Python's ensure_ascii writes as themselves.
var asciiSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// appendString writes s as a JSON string the way Python's ensure_ascii
// encoder does: printable ASCII as is (including / < > & '), the five short
// escapes, everything else as lower-case \uXXXX with surrogate pairs above
// U+FFFF. Invalid UTF-8 bytes are written as \ufffd.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if asciiSafe[c] {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = append(dst, '\\', 'u', hex[r1>>12], hex[r1>>8&0xf], hex[r1>>4&0xf], hex[r1&0xf])
			r = r2
		}
		dst = append(dst, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// sortStrings sorts keys in byte order, which for valid UTF-8 is Python's
// code point order. Sessions have few keys, so insertion sort wins there.
func sortStrings(a []string) {
	if len(a) > 12 {
		slices.Sort(a)
		return
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
