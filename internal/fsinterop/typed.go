package fsinterop

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"time"

	"github.com/flaskgo/session"
)

// ToTyped writes Go session values in the peer's typed JSON.
func ToTyped(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, int, *big.Int:
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return map[string]any{"$float": "nan"}
		case math.IsInf(x, 1):
			return map[string]any{"$float": "inf"}
		case math.IsInf(x, -1):
			return map[string]any{"$float": "-inf"}
		}
		return map[string]any{"$float": strconv.FormatFloat(x, 'g', -1, 64)}
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(x)}
	case session.Tuple:
		return map[string]any{"$tuple": ToTyped([]any(x))}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ToTyped(e)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]any, len(keys))
		for i, k := range keys {
			pairs[i] = []any{k, ToTyped(x[k])}
		}
		return map[string]any{"$dict": pairs}
	case time.Time:
		return map[string]any{"$datetime": x.Format("2006-01-02T15:04:05.000000-07:00")}
	case session.UUID:
		return map[string]any{"$uuid": x.String()}
	case session.Markup:
		return map[string]any{"$markup": string(x)}
	}
	return map[string]any{"$unsupported": fmt.Sprintf("%T", v)}
}

// FromTyped reads the peer's typed JSON into Go session values, mapping
// Python types as flasksession does: sets to lists, dates to strings,
// naive datetimes to UTC.
func FromTyped(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		if b, ok := new(big.Int).SetString(string(x), 10); ok {
			return b, nil
		}
		return nil, fmt.Errorf("bad number %s", x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			g, err := FromTyped(e)
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	case map[string]any:
		for k, inner := range x {
			s, _ := inner.(string)
			switch k {
			case "$dict":
				out := map[string]any{}
				for _, p := range inner.([]any) {
					pair := p.([]any)
					key, ok := pair[0].(string)
					if !ok {
						return nil, fmt.Errorf("non-string key %v", pair[0])
					}
					g, err := FromTyped(pair[1])
					if err != nil {
						return nil, err
					}
					out[key] = g
				}
				return out, nil
			case "$tuple":
				l, err := FromTyped(inner)
				if err != nil {
					return nil, err
				}
				return session.Tuple(l.([]any)), nil
			case "$set":
				return FromTyped(inner)
			case "$float":
				switch s {
				case "nan":
					return math.NaN(), nil
				case "inf":
					return math.Inf(1), nil
				case "-inf":
					return math.Inf(-1), nil
				}
				return strconv.ParseFloat(s, 64)
			case "$bytes":
				return base64.StdEncoding.DecodeString(s)
			case "$date":
				return s, nil
			case "$uuid":
				var u session.UUID
				err := u.UnmarshalText([]byte(s))
				return u, err
			case "$markup":
				return session.Markup(s), nil
			case "$datetime":
				if t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s); err == nil {
					return t, nil
				}
				return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
			}
			return nil, fmt.Errorf("unknown typed marker %q", k)
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
