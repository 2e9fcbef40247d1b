package flasksession

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/flaskgo/session/taggedjson"
)

// JSON is Flask-Session 0.8's JSON format (SESSION_SERIALIZATION_FORMAT =
// "json"), as msgspec.json writes and reads it.
//
// Marshal writes compact JSON (no spaces) with non-ASCII text as raw
// UTF-8, only '"', '\\' and control characters escaped, integers of any
// size in decimal, floats in their shortest round-trip form with NaN and
// infinities as null (msgspec does the same), bytes as standard padded
// base64, times as RFC 3339 in UTC ("Z", microseconds when not zero), a
// session.Tuple as an array and a session.UUID or session.Markup as a
// string. Flask reads bytes and times back as strings, exactly as it does
// for what it wrote itself. Keys are ordered as Msgpack orders them: the
// order read, new keys appended sorted.
//
// Unmarshal accepts one JSON object (ErrNotMap for another value,
// ErrSyntax for malformed text, so that Chain can fall back), integers of
// up to 4300 digits as int64 or *big.Int and other numbers as float64.
type JSON struct{}

// Marshal implements session.Serializer.
func (JSON) Marshal(values map[string]any) ([]byte, error) {
	e := jsonEncoder{buf: make([]byte, 0, 64)}
	if err := e.mapValue(values, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Unmarshal implements session.Serializer.
func (JSON) Unmarshal(data []byte) (map[string]any, error) { return unmarshalJSON(data) }

type jsonEncoder struct {
	buf []byte
}

func (e *jsonEncoder) fail(err error, msg string) error {
	return &EncodeError{Format: "json", Msg: msg, Err: err}
}

func (e *jsonEncoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		return e.str(x)
	case taggedjson.Markup:
		return e.str(string(x))
	case taggedjson.UUID:
		return e.str(x.String())
	case float64:
		e.float(x)
	case float32:
		e.float(float64(x))
	case []byte:
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, x)
		e.buf = append(e.buf, '"')
	case time.Time:
		t, err := pyTime(x)
		if err != nil {
			return e.fail(ErrUnsupportedValue, err.Error())
		}
		layout := "2006-01-02T15:04:05Z"
		if t.Nanosecond() != 0 {
			layout = "2006-01-02T15:04:05.000000Z"
		}
		e.buf = append(e.buf, '"')
		e.buf = t.AppendFormat(e.buf, layout)
		e.buf = append(e.buf, '"')
	case map[string]any:
		return e.mapValue(x, depth)
	case []any:
		return e.array(x, depth)
	case taggedjson.Tuple:
		return e.array(x, depth)
	default:
		if i, b, ok := intValue(v); ok {
			if b != nil {
				if b.BitLen() > maxIntBits {
					return e.fail(ErrUnsupportedValue, "integer of "+strconv.Itoa(b.BitLen())+" bits has more than the 4300 digits Python reads")
				}
				e.buf = b.Append(e.buf, 10)
			} else {
				e.buf = strconv.AppendInt(e.buf, i, 10)
			}
			return nil
		}
		g, err := convertOther("json", v)
		if err != nil {
			return err
		}
		return e.value(g, depth)
	}
	return nil
}

// maxIntBits is the bit length below which an integer surely has at most
// maxIntDigits decimal digits (4300 * log2(10) ≈ 14284).
const maxIntBits = 14284

func (e *jsonEncoder) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.buf = append(e.buf, "null"...)
		return
	}
	start := len(e.buf)
	e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, 64)
	// Keep it a float for Python: 1 must come back as 1.0, not int 1.
	for _, c := range e.buf[start:] {
		if c == '.' || c == 'e' || c == 'n' || c == 'I' {
			return
		}
	}
	e.buf = append(e.buf, ".0"...)
}

func (e *jsonEncoder) mapValue(m map[string]any, depth int) error {
	if depth >= MaxDepth {
		return e.fail(ErrTooDeep, "more than "+strconv.Itoa(MaxDepth)+" nested containers (or a map that contains itself)")
	}
	e.buf = append(e.buf, '{')
	for i, k := range orderedKeys(m) {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.str(k); err != nil {
			return inPath(err, keyElem(k))
		}
		e.buf = append(e.buf, ':')
		if err := e.value(m[k], depth+1); err != nil {
			return inPath(err, keyElem(k))
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *jsonEncoder) array(list []any, depth int) error {
	if depth >= MaxDepth {
		return e.fail(ErrTooDeep, "more than "+strconv.Itoa(MaxDepth)+" nested containers (or a list that contains itself)")
	}
	e.buf = append(e.buf, '[')
	for i, v := range list {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(v, depth+1); err != nil {
			return inPath(err, indexElem(i))
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

const hexDigits = "0123456789abcdef"

func (e *jsonEncoder) str(s string) error {
	if !utf8.ValidString(s) {
		return e.fail(ErrUnsupportedValue, "string is not valid UTF-8")
	}
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			e.buf = append(e.buf, '\\', c)
		case c == '\n':
			e.buf = append(e.buf, '\\', 'n')
		case c == '\r':
			e.buf = append(e.buf, '\\', 'r')
		case c == '\t':
			e.buf = append(e.buf, '\\', 't')
		case c == '\b':
			e.buf = append(e.buf, '\\', 'b')
		case c == '\f':
			e.buf = append(e.buf, '\\', 'f')
		case c < 0x20:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			e.buf = append(e.buf, c)
		}
	}
	e.buf = append(e.buf, '"')
	return nil
}
