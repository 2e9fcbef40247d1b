package session

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
)

// Get returns the value under key converted to T. It tells a missing key
// (ErrMissing) from a value that cannot be converted (ErrWrongType).
//
// Numbers convert between Go's numeric types when the value fits exactly: an
// int written by Flask reads as int, int64 or float64; 2.0 reads as int, 2.5
// does not. Markup reads as string. Any other T (structs, maps, slices) is
// filled from the stored value through encoding/json, so a struct stored with
// Set, or written by Flask as a dict, reads back into a struct.
func Get[T any](s *Session, key string) (T, error) {
	v, ok := s.Get(key)
	if !ok {
		var zero T
		return zero, fmt.Errorf("%w: %q", ErrMissing, key)
	}
	return as[T](key, v)
}

// as converts v, the value under key, to T as Get does.
func as[T any](key string, v any) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	var zero, out T
	if err := convert(v, &out); err != nil {
		return zero, fmt.Errorf("%w: %q holds %T, want %T: %v", ErrWrongType, key, v, zero, err)
	}
	return out, nil
}

// convert stores v into *dst (a pointer to a zero value).
func convert(v any, dst any) error {
	rv := reflect.ValueOf(dst).Elem()
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := toBigInt(v)
		if !ok || !n.IsInt64() {
			return fmt.Errorf("not an integer in range")
		}
		i := n.Int64()
		if rv.OverflowInt(i) {
			return fmt.Errorf("%d overflows %s", i, rv.Type())
		}
		rv.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := toBigInt(v)
		if !ok || n.Sign() < 0 || !n.IsUint64() {
			return fmt.Errorf("not a non-negative integer in range")
		}
		u := n.Uint64()
		if rv.OverflowUint(u) {
			return fmt.Errorf("%d overflows %s", u, rv.Type())
		}
		rv.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("not a number")
		}
		if rv.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return fmt.Errorf("%g overflows float32", f)
		}
		rv.SetFloat(f)
		return nil
	case reflect.String:
		if m, ok := v.(Markup); ok {
			rv.SetString(string(m))
			return nil
		}
		if s, ok := v.(string); ok {
			rv.SetString(s)
			return nil
		}
		return fmt.Errorf("not a string")
	case reflect.Bool:
		return fmt.Errorf("not a bool")
	}
	if _, scalar := v.(string); scalar && rv.Kind() != reflect.Interface {
		// A string never decodes into a struct or map; say so plainly.
		return fmt.Errorf("not an object")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, dst)
}

func toBigInt(v any) (*big.Int, bool) {
	switch n := v.(type) {
	case int64:
		return big.NewInt(n), true
	case int:
		return big.NewInt(int64(n)), true
	case int32:
		return big.NewInt(int64(n)), true
	case uint64:
		return new(big.Int).SetUint64(n), true
	case *big.Int:
		return n, n != nil
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) || n != math.Trunc(n) {
			return nil, false
		}
		b, _ := big.NewFloat(n).Int(nil)
		return b, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return big.NewInt(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return new(big.Int).SetUint64(rv.Uint()), true
	case reflect.Float32:
		return toBigInt(rv.Float())
	}
	return nil, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case *big.Int:
		if n == nil {
			return 0, false
		}
		f, acc := new(big.Float).SetInt(n).Float64()
		return f, acc == big.Exact
	}
	if b, ok := toBigInt(v); ok {
		f, acc := new(big.Float).SetInt(b).Float64()
		return f, acc == big.Exact
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Float32 {
		return rv.Float(), true
	}
	return 0, false
}
