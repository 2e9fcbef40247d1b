// Package typedjson is the typed JSON notation of Python session values used
// by this project's test vectors and by sessionctl --typed: plain JSON for
// what JSON can say, and one-key objects such as {"$tuple": [...]},
// {"$bytes": "base64"}, {"$int": "digits"}, {"$float": "repr"},
// {"$uuid": "..."}, {"$datetime": "ISO 8601"} and {"$markup": "..."} for
// what it cannot, so that a session survives a trip through JSON tools
// exactly.
package typedjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

// maxSafe is 2^53-1: integers beyond it are written as {"$int": "..."}.
const maxSafe = 1<<53 - 1

// ToGo converts a value in the vector file's typed notation (as
// decoded by encoding/json, preferably with UseNumber) to the Go values
// taggedjson uses: map[string]any, []any, string, int64 or *big.Int,
// float64, bool, nil, taggedjson.Tuple, []byte, taggedjson.UUID, time.Time
// and taggedjson.Markup. A naive $datetime becomes UTC, as Flask treats it.
func ToGo(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		return numberValue(string(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= maxSafe {
			return int64(x), nil
		}
		return x, nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			g, err := ToGo(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]%w", i, err)
			}
			out[i] = g
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if strings.HasPrefix(k, "$") {
					return fromMarker(k, inner)
				}
			}
		}
		return fromDict(x)
	}
	return nil, fmt.Errorf("vectors: unexpected %T in typed value", v)
}

func fromDict(x map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(x))
	for k, e := range x {
		g, err := ToGo(e)
		if err != nil {
			return nil, fmt.Errorf("[%q]%w", k, err)
		}
		out[k] = g
	}
	return out, nil
}

func fromMarker(marker string, v any) (any, error) {
	str := func() (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("vectors: %s wants a string, got %T", marker, v)
		}
		return s, nil
	}
	switch marker {
	case "$int":
		s, err := str()
		if err != nil {
			return nil, err
		}
		return numberValue(s)
	case "$float":
		s, err := str()
		if err != nil {
			return nil, err
		}
		return parsePyFloat(s)
	case "$tuple":
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("vectors: $tuple wants a list, got %T", v)
		}
		g, err := ToGo(list)
		if err != nil {
			return nil, err
		}
		return taggedjson.Tuple(g.([]any)), nil
	case "$bytes":
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("vectors: $bytes: %w", err)
		}
		if b == nil {
			b = []byte{}
		}
		return b, nil
	case "$uuid":
		s, err := str()
		if err != nil {
			return nil, err
		}
		return taggedjson.ParseUUID(s)
	case "$datetime":
		s, err := str()
		if err != nil {
			return nil, err
		}
		return parseISO(s)
	case "$markup":
		s, err := str()
		if err != nil {
			return nil, err
		}
		return taggedjson.Markup(s), nil
	case "$dict":
		switch d := v.(type) {
		case map[string]any:
			return fromDict(d)
		case []any: // [[key, value], ...], as in the Flask-Session vectors
			out := make(map[string]any, len(d))
			for i, p := range d {
				pair, ok := p.([]any)
				if !ok || len(pair) != 2 {
					return nil, fmt.Errorf("vectors: $dict entry %d is not a [key, value] pair", i)
				}
				k, ok := pair[0].(string)
				if !ok {
					return nil, fmt.Errorf("vectors: $dict entry %d has a %T key; only string keys are supported", i, pair[0])
				}
				g, err := ToGo(pair[1])
				if err != nil {
					return nil, err
				}
				out[k] = g
			}
			return out, nil
		}
		return nil, fmt.Errorf("vectors: $dict wants an object, got %T", v)
	}
	return nil, fmt.Errorf("vectors: unsupported typed marker %q", marker)
}

func numberValue(s string) (any, error) {
	if strings.ContainsAny(s, ".eE") {
		return parsePyFloat(s)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("vectors: %q is not an integer", s)
	}
	return b, nil
}

func parsePyFloat(s string) (float64, error) {
	switch s {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("vectors: $float %q: %w", s, err)
	}
	return f, nil
}

// parseISO reads Python's datetime.isoformat(): no offset means naive
// (taken as UTC), "Z" or ±HH:MM an aware value.
func parseISO(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("vectors: $datetime %q: %w", s, err)
	}
	return t, nil
}

// FromGo converts a Go session value to the typed notation, ready for
// encoding/json. Times in UTC are written with "Z", others with their
// offset. Types outside taggedjson's decoded value model are first passed
// through taggedjson (as a cookie would carry them).
func FromGo(v any) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case int64:
		return typedInt(big.NewInt(x))
	case int:
		return typedInt(big.NewInt(int64(x)))
	case *big.Int:
		if x == nil {
			return nil
		}
		return typedInt(x)
	case float64:
		return map[string]any{"$float": taggedjson.FloatRepr(x)}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = FromGo(e)
		}
		return out
	case taggedjson.Tuple:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = FromGo(e)
		}
		return map[string]any{"$tuple": out}
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(x)}
	case taggedjson.UUID:
		return map[string]any{"$uuid": x.String()}
	case taggedjson.Markup:
		return map[string]any{"$markup": string(x)}
	case time.Time:
		return map[string]any{"$datetime": isoFormat(x)}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = FromGo(e)
		}
		if len(x) == 1 {
			for k := range x {
				if strings.HasPrefix(k, "$") {
					return map[string]any{"$dict": out}
				}
			}
		}
		return out
	}
	// Other Go types: show what a Flask reader would get.
	b, err := taggedjson.AppendValue(nil, v)
	if err == nil {
		var g any
		if g, err = taggedjson.UnmarshalValue(b); err == nil {
			return FromGo(g)
		}
	}
	return map[string]any{"$unsupported": fmt.Sprintf("%T: %v", v, err)}
}

func typedInt(b *big.Int) any {
	if b.IsInt64() && b.Int64() >= -maxSafe && b.Int64() <= maxSafe {
		return b.Int64()
	}
	return map[string]any{"$int": b.String()}
}

func isoFormat(t time.Time) string {
	layout := "2006-01-02T15:04:05"
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1000 == 0:
		layout += ".000000"
	default:
		layout += ".000000000"
	}
	if _, off := t.Zone(); off == 0 {
		return t.UTC().Format(layout) + "Z"
	}
	return t.Format(layout + "-07:00")
}

// Equal reports whether two session values are the same Python value:
// ints compare by value whatever their Go type, floats by bits (any NaN
// equals any NaN, but -0.0 differs from 0.0), times as instants, and
// tuples differ from lists.
func Equal(a, b any) bool { return Diff(a, b) == "" }

// Diff describes the first difference between two session values, or
// returns "" when Equal.
func Diff(a, b any) string { return diff("", a, b) }

func diff(path string, a, b any) string {
	at := func(format string, args ...any) string {
		p := path
		if p == "" {
			p = "(top)"
		}
		return p + ": " + fmt.Sprintf(format, args...)
	}
	if ai, ok := asBig(a); ok {
		bi, ok := asBig(b)
		if !ok || ai.Cmp(bi) != 0 {
			return at("%v (%T) != %v (%T)", a, a, b, b)
		}
		return ""
	}
	switch x := a.(type) {
	case nil:
		if b != nil {
			return at("nil != %#v", b)
		}
	case float64:
		y, ok := b.(float64)
		if !ok || !(math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y)) {
			return at("%v (%T) != %v (%T)", a, a, b, b)
		}
	case bool, string, taggedjson.Markup, taggedjson.UUID:
		if a != b {
			return at("%#v != %#v", a, b)
		}
	case []byte:
		y, ok := b.([]byte)
		if !ok || !bytes.Equal(x, y) {
			return at("%#v != %#v", a, b)
		}
	case time.Time:
		y, ok := b.(time.Time)
		if !ok || !x.Equal(y) {
			return at("%v != %v", a, b)
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			return at("list != %T", b)
		}
		return diffList(path, x, y)
	case taggedjson.Tuple:
		y, ok := b.(taggedjson.Tuple)
		if !ok {
			return at("tuple != %T", b)
		}
		return diffList(path, x, y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return at("dict != %T", b)
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, dup := x[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			xv, xok := x[k]
			yv, yok := y[k]
			p := path + "[" + strconv.Quote(k) + "]"
			if !xok || !yok {
				return p + fmt.Sprintf(": present %v != present %v", xok, yok)
			}
			if d := diff(p, xv, yv); d != "" {
				return d
			}
		}
	default:
		return at("unexpected type %T", a)
	}
	return ""
}

func diffList(path string, x, y []any) string {
	if len(x) != len(y) {
		return fmt.Sprintf("%s: length %d != %d", path, len(x), len(y))
	}
	for i := range x {
		if d := diff(path+"["+strconv.Itoa(i)+"]", x[i], y[i]); d != "" {
			return d
		}
	}
	return ""
}

func asBig(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int:
		return big.NewInt(int64(x)), true
	case int64:
		return big.NewInt(x), true
	case int32:
		return big.NewInt(int64(x)), true
	case uint64:
		return new(big.Int).SetUint64(x), true
	case *big.Int:
		return x, x != nil
	}
	return nil, false
}
