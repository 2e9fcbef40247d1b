package taggedjson

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Unmarshal parses a session payload the way Flask's
// TaggedJSONSerializer.loads does: Python's JSON dialect, then untagging
// from the innermost objects outwards. The result must be an object.
//
// Errors are *DecodeError values that give the byte offset and match
// ErrSyntax, ErrInvalidTag, ErrNotObject or ErrTooDeep.
func Unmarshal(data []byte) (map[string]any, error) {
	v, err := UnmarshalValue(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &DecodeError{Msg: "the document is " + pyTypeName(v) + ", not an object", Err: ErrNotObject}
	}
	return m, nil
}

// UnmarshalValue is Unmarshal for a document whose top-level value may be
// of any type.
func UnmarshalValue(data []byte) (any, error) {
	d := decoder{s: string(data), untag: true}
	return d.document()
}

// decoder is a recursive-descent parser over one copy of the input: strings
// without escapes are substrings of it, which saves an allocation each.
type decoder struct {
	s     string
	i     int
	depth int
	untag bool
	// firstKey is the first key, in document order, of the object that
	// object() returned last; Flask's " di" and " t" tags look at it.
	firstKey string
	buf      []byte // scratch for strings with escapes
}

func (d *decoder) document() (any, error) {
	d.skipWS()
	v, err := d.value()
	if err != nil && !isTagError(err) {
		return nil, err
	}
	d.skipWS()
	if d.i != len(d.s) {
		return nil, d.syntax("Extra data")
	}
	return v, err
}

// Tag errors do not stop the parse. Flask ≥ 3.0.1 untags after json.loads
// has built the whole structure, so a tagged value that a later duplicate
// key replaces is never converted and cannot fail; containers therefore
// finish parsing and report a tag error only if the failing value survives.
// (Flask 2.2 untagged inside json.loads and failed on such values too.)
func isTagError(err error) bool {
	e, ok := err.(*DecodeError)
	return ok && e.Err == ErrInvalidTag
}

func (d *decoder) syntax(msg string) error {
	return &DecodeError{Offset: d.i, Msg: msg, Err: ErrSyntax}
}

func (d *decoder) syntaxAt(off int, msg string) error {
	return &DecodeError{Offset: off, Msg: msg, Err: ErrSyntax}
}

func (d *decoder) tooDeep() error {
	return &DecodeError{Offset: d.i, Msg: "more than " + strconv.Itoa(MaxDepth) + " nested containers", Err: ErrTooDeep}
}

func (d *decoder) skipWS() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	if d.i >= len(d.s) {
		return nil, d.syntax("Expecting value")
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		return d.literal("true", true)
	case 'f':
		return d.literal("false", false)
	case 'n':
		return d.literal("null", nil)
	case 'N':
		return d.literal("NaN", math.NaN())
	case 'I':
		return d.literal("Infinity", math.Inf(1))
	case '-':
		if strings.HasPrefix(d.s[d.i:], "-Infinity") {
			d.i += len("-Infinity")
			return math.Inf(-1), nil
		}
		return d.number()
	default:
		if c >= '0' && c <= '9' {
			return d.number()
		}
	}
	return nil, d.syntax("Expecting value")
}

func (d *decoder) literal(word string, v any) (any, error) {
	if !strings.HasPrefix(d.s[d.i:], word) {
		return nil, d.syntax("Expecting value")
	}
	d.i += len(word)
	return v, nil
}

func (d *decoder) object() (any, error) {
	start := d.i
	if d.depth++; d.depth > MaxDepth {
		return nil, d.tooDeep()
	}
	d.i++
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		d.firstKey = ""
		return map[string]any{}, nil
	}
	// The members of small objects are collected on the stack: a one-key
	// object is usually a tag and needs no map at all, and otherwise the
	// map is made once with the right size.
	var small [8]member
	var m map[string]any
	var (
		first          string // first key in document order
		diFirst        string // first key of the object stored under " di"
		tStart, tEnd   int    // where the value stored under " t" is
		n              int
		untagCandidate bool
		pending        []pendingErr // tag errors of values still in m
	)
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, d.syntax("Expecting property name enclosed in double quotes")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipWS()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, d.syntax("Expecting ':' delimiter")
		}
		d.i++
		d.skipWS()
		vStart := d.i
		val, err := d.value()
		if len(pending) > 0 {
			pending = dropPending(pending, key)
		}
		if err != nil {
			if !isTagError(err) {
				return nil, err
			}
			pending = append(pending, pendingErr{key, err})
		}
		if n == 0 {
			first = key
			untagCandidate = d.untag && isTagKey(key)
		}
		if m == nil && n < len(small) {
			small[n] = member{key, val}
		} else {
			if m == nil {
				m = make(map[string]any, 2*len(small))
				for _, p := range small {
					m[p.key] = p.val
				}
			}
			m[key] = val
		}
		n++
		if untagCandidate {
			switch key {
			case " di":
				if _, ok := val.(map[string]any); ok {
					diFirst = d.firstKey
				}
			case " t":
				tStart, tEnd = vStart, d.i
			}
		}
		d.skipWS()
		if d.i < len(d.s) {
			if c := d.s[d.i]; c == ',' {
				d.i++
				d.skipWS()
				continue
			} else if c == '}' {
				d.i++
				break
			}
		}
		return nil, d.syntax("Expecting ',' delimiter")
	}
	d.depth--
	d.firstKey = first
	if len(pending) > 0 {
		return nil, pending[0].err
	}
	if m == nil {
		if untagCandidate {
			// A tag object has one distinct key (repeats are allowed:
			// the last value wins).
			single := true
			for _, p := range small[1:n] {
				single = single && p.key == first
			}
			if single {
				return d.untagObject(start, first, small[n-1].val, diFirst, tStart, tEnd)
			}
		}
		m = make(map[string]any, n)
		for _, p := range small[:n] {
			m[p.key] = p.val
		}
	} else if untagCandidate && len(m) == 1 {
		return d.untagObject(start, first, m[first], diFirst, tStart, tEnd)
	}
	return m, nil
}

func (d *decoder) array() (any, error) {
	if d.depth++; d.depth > MaxDepth {
		return nil, d.tooDeep()
	}
	d.i++
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return []any{}, nil
	}
	// Short lists are collected on the stack and copied once into a slice
	// of the right size.
	var small [8]any
	n := 0
	var list []any
	var tagErr error
	for {
		v, err := d.value()
		if err != nil {
			if !isTagError(err) {
				return nil, err
			}
			if tagErr == nil {
				tagErr = err
			}
		}
		if list == nil && n < len(small) {
			small[n] = v
			n++
		} else {
			if list == nil {
				list = make([]any, n, 2*n)
				copy(list, small[:n])
			}
			list = append(list, v)
		}
		d.skipWS()
		if d.i < len(d.s) {
			if c := d.s[d.i]; c == ',' {
				d.i++
				d.skipWS()
				continue
			} else if c == ']' {
				d.i++
				break
			}
		}
		return nil, d.syntax("Expecting ',' delimiter")
	}
	d.depth--
	if tagErr != nil {
		return nil, tagErr
	}
	if list == nil {
		list = make([]any, n)
		copy(list, small[:n])
	}
	return list, nil
}

type member struct {
	key string
	val any
}

type pendingErr struct {
	key string
	err error
}

func dropPending(p []pendingErr, key string) []pendingErr {
	out := p[:0]
	for _, e := range p {
		if e.key != key {
			out = append(out, e)
		}
	}
	return out
}

// str parses a string starting at the opening quote.
func (d *decoder) str() (string, error) {
	start := d.i
	s := d.s
	i := start + 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return s[start+1 : i], nil
		case c == '\\':
			return d.strSlow(start, i)
		case c < 0x20:
			return "", d.syntaxAt(i, "Invalid control character at")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.syntaxAt(i, "invalid UTF-8")
			}
			i += size
		}
	}
	return "", d.syntaxAt(start, "Unterminated string starting at")
}

// strSlow finishes a string that contains escapes; i is at the first '\'.
func (d *decoder) strSlow(start, i int) (string, error) {
	s := d.s
	buf := append(d.buf[:0], s[start+1:i]...)
	for {
		if i >= len(s) {
			return "", d.syntaxAt(start, "Unterminated string starting at")
		}
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			d.buf = buf
			return string(buf), nil
		case c == '\\':
			i++
			if i >= len(s) {
				return "", d.syntaxAt(start, "Unterminated string starting at")
			}
			switch s[i] {
			case '"', '\\', '/':
				buf = append(buf, s[i])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(s, i+1)
				if !ok {
					return "", d.syntaxAt(i-1, "Invalid \\uXXXX escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// Python joins a high surrogate with an escaped low one
					// that follows; anything else stays a lone surrogate,
					// which a Go string can only hold as U+FFFD.
					if r < 0xdc00 && i+7 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
						r2, ok := hex4(s, i+3)
						if !ok {
							return "", d.syntaxAt(i+1, "Invalid \\uXXXX escape")
						}
						if r2 >= 0xdc00 && r2 <= 0xdfff {
							r = utf16.DecodeRune(r, r2)
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", d.syntaxAt(i-1, "Invalid \\escape")
			}
			i++
		case c < 0x20:
			return "", d.syntaxAt(i, "Invalid control character at")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.syntaxAt(i, "invalid UTF-8")
			}
			buf = append(buf, s[i:i+size]...)
			i += size
		}
	}
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		v := unhex(c)
		if v == 0xff {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// number parses a JSON number: a float if it has a fraction or exponent,
// otherwise an int (int64, or *big.Int when it does not fit).
func (d *decoder) number() (any, error) {
	s := d.s
	start := d.i
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		return nil, d.syntax("Expecting value")
	}
	isFloat := false
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		isFloat = true
		for i += 2; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if s[j] == '+' || s[j] == '-' {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j { // otherwise Python backs off to before the 'e'
			isFloat = true
			i = k
		}
	}
	d.i = i
	text := s[start:i]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return nil, d.syntaxAt(start, "invalid number")
		}
		return f, nil // out-of-range values are ±Inf or 0, as in Python
	}
	digits := len(text)
	if text[0] == '-' {
		digits--
	}
	if digits <= 18 {
		var v int64
		for _, c := range []byte(text[len(text)-digits:]) {
			v = v*10 + int64(c-'0')
		}
		if text[0] == '-' {
			v = -v
		}
		return v, nil
	}
	if digits > pyMaxStrDigits {
		return nil, d.syntaxAt(start, "integer exceeds the limit (4300 digits) for integer string conversion")
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, nil
	}
	b, _ := new(big.Int).SetString(text, 10)
	return b, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// pyTypeName names the Python type of a decoded value, for messages.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "a bool"
	case int64, *big.Int:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case []any:
		return "a list"
	case map[string]any:
		return "a dict"
	case Tuple:
		return "a tuple"
	case []byte:
		return "bytes"
	case UUID:
		return "a UUID"
	case Markup:
		return "a Markup"
	}
	return "a datetime"
}
