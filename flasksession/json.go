package flasksession

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIntDigits is CPython's limit on decimal digits in an int read from text.
const maxIntDigits = 4300

// unmarshalJSON reads Flask-Session 0.8's JSON format (msgspec JSON, the
// SESSION_SERIALIZATION_FORMAT = "json" setting), the second decoder of its
// fallback chain. Bytes and times are plain strings there.
func unmarshalJSON(data []byte) (map[string]any, error) {
	fail := func(err error, off int, msg string) error {
		return &DecodeError{Format: "json", Offset: off, Msg: msg, Err: err}
	}
	if !utf8.Valid(data) {
		return nil, fail(ErrSyntax, 0, "input is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	g, err := readJSON(dec, 0)
	if err != nil {
		var je *jsonError
		if errors.As(err, &je) {
			return nil, fail(err, int(dec.InputOffset()), err.Error())
		}
		off := int(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fail(ErrSyntax, off, err.Error())
	}
	rest := int(dec.InputOffset())
	if len(bytes.TrimLeft(data[rest:], " \t\r\n")) != 0 {
		return nil, fail(ErrSyntax, rest, "data after the end of the JSON value")
	}
	m, ok := g.(map[string]any)
	if !ok {
		return nil, fail(ErrNotMap, 0, "the value is "+mpTypeName(g)+", not an object")
	}
	return m, nil
}

// jsonError carries a sentinel and a message out of fromJSON.
type jsonError struct {
	err error
	msg string
}

func (e *jsonError) Error() string { return e.msg }
func (e *jsonError) Unwrap() error { return e.err }

// readJSON reads one value token by token, so that the key order of every
// object is remembered (see orderedKeys) and nesting is limited before it
// is built.
func readJSON(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Number:
		return jsonNumber(string(x))
	case json.Delim:
		if depth >= MaxDepth {
			return nil, &jsonError{ErrTooDeep, "more than " + strconv.Itoa(MaxDepth) + " nested containers"}
		}
		if x == '[' {
			list := []any{}
			for dec.More() {
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ']'
			return list, err
		}
		m := map[string]any{}
		var keys []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string) // the decoder only yields string keys
			v, err := readJSON(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := m[k]; !dup {
				keys = append(keys, k)
			}
			m[k] = v
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, err
		}
		rememberOrder(m, keys)
		return m, nil
	}
	return tok, nil
}

func jsonNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		digits := len(strings.TrimPrefix(s, "-"))
		if digits > maxIntDigits {
			return nil, &jsonError{ErrUnsupportedValue, "integer with " + strconv.Itoa(digits) + " digits; Python refuses more than 4300"}
		}
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, &jsonError{ErrSyntax, "invalid number " + strconv.QuoteToASCII(capText(s))}
		}
		return b, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, &jsonError{ErrSyntax, "invalid number " + strconv.QuoteToASCII(capText(s))}
	}
	return f, nil
}

// capText shortens untrusted text quoted in an error message.
func capText(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}
