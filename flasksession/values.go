package flasksession

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

// Python's datetime holds years 1-9999.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// pyTime returns t in UTC, truncated to the microseconds a Python datetime
// holds, or an error when Python cannot represent it.
func pyTime(t time.Time) (time.Time, error) {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Before(minTime) || !t.Before(maxTime) {
		return t, fmt.Errorf("time %s is outside the years 1-9999 that Python's datetime supports", t.Format(time.RFC3339))
	}
	return t, nil
}

// intValue reports the integer held by one of Go's integer types, as int64
// when possible and as *big.Int otherwise.
func intValue(v any) (i int64, b *big.Int, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, nil, true
	case int:
		return int64(x), nil, true
	case int32:
		return int64(x), nil, true
	case int16:
		return int64(x), nil, true
	case int8:
		return int64(x), nil, true
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case uint32:
		return int64(x), nil, true
	case uint16:
		return int64(x), nil, true
	case uint8:
		return int64(x), nil, true
	case *big.Int:
		if x == nil {
			return 0, nil, false
		}
		if x.IsInt64() {
			return x.Int64(), nil, true
		}
		return 0, x, true
	case big.Int:
		return intValue(&x)
	}
	return 0, nil, false
}

func uintValue(u uint64) (int64, *big.Int, bool) {
	if u <= math.MaxInt64 {
		return int64(u), nil, true
	}
	return 0, new(big.Int).SetUint64(u), true
}

// convertOther turns a Go value outside the session value model (a struct,
// a typed slice or map, a pointer, ...) into model values, the way
// session.TaggedJSON converts it for Flask's cookie. The result holds only
// model types.
func convertOther(format string, v any) (any, error) {
	b, err := taggedjson.AppendValue(nil, v)
	if err != nil {
		return nil, &EncodeError{Format: format, Msg: fmt.Sprintf("%T: %v", v, err), Err: ErrUnsupportedType}
	}
	g, err := taggedjson.UnmarshalValue(b)
	if err != nil {
		return nil, &EncodeError{Format: format, Msg: fmt.Sprintf("%T: %v", v, err), Err: ErrUnsupportedType}
	}
	return g, nil
}
