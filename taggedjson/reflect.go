package taggedjson

import (
	"encoding"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

var (
	jsonMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// directTypes are the types appendValue's type switch handles; a reflected
// value of one of them goes back through appendValue so that, say, a
// time.Time inside a []time.Time is still tagged.
var directTypes = func() map[reflect.Type]bool {
	m := map[reflect.Type]bool{}
	for _, v := range []any{
		"", false, 0, int64(0), int32(0), int16(0), int8(0),
		uint(0), uint64(0), uint32(0), uint16(0), uint8(0), float64(0), float32(0),
		map[string]any(nil), []any(nil), Tuple(nil), []byte(nil), UUID{}, time.Time{},
		Markup(""), (*big.Int)(nil), big.Int{}, json.Number(""),
		[]string(nil), []int(nil), []int64(nil), []float64(nil), []map[string]any(nil),
		map[string]string(nil), map[string]int(nil), map[string]int64(nil),
		map[string]bool(nil), map[string]float64(nil),
	} {
		m[reflect.TypeOf(v)] = true
	}
	return m
}()

// appendReflect encodes values of types the fast path does not know: named
// basic types, other slices, arrays, maps and pointers by kind; structs and
// anything with its own JSON or text form through encoding/json.
func (e *encoder) appendReflect(dst []byte, v any, depth int) ([]byte, error) {
	return e.appendRV(dst, reflect.ValueOf(v), depth)
}

func (e *encoder) appendRV(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	if !rv.IsValid() {
		return append(dst, "null"...), nil
	}
	t := rv.Type()
	if directTypes[t] {
		return e.appendValue(dst, rv.Interface(), depth)
	}
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		// *time.Time and friends are tagged like their values (a
		// *time.Time would otherwise go out through its MarshalJSON).
		if !directTypes[t.Elem()] && (t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType)) {
			return e.viaJSON(dst, rv, depth)
		}
		// Each indirection counts as a level so that a pointer cycle ends.
		if depth >= MaxDepth {
			return dst, tooDeep()
		}
		return e.appendRV(dst, rv.Elem(), depth+1)
	case reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return e.appendRV(dst, rv.Elem(), depth)
	}
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return e.viaJSON(dst, rv, depth)
	}
	switch rv.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32:
		return appendFloat(dst, rv.Float(), 32), nil
	case reflect.Float64:
		return appendFloat(dst, rv.Float(), 64), nil
	case reflect.String:
		return appendString(dst, rv.String()), nil
	case reflect.Slice:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return appendBytes(dst, rv.Bytes(), depth)
		}
		return e.appendRVList(dst, rv, depth)
	case reflect.Array:
		return e.appendRVList(dst, rv, depth)
	case reflect.Map:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return e.appendRVMap(dst, rv, depth)
	case reflect.Struct:
		return e.viaJSON(dst, rv, depth)
	}
	return dst, encErr(ErrUnsupportedType, "cannot encode a value of type "+t.String())
}

func (e *encoder) appendRVList(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	dst = append(dst, '[')
	var err error
	for i, n := 0, rv.Len(); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.appendRV(dst, rv.Index(i), depth+1); err != nil {
			return dst, atIndex(err, i)
		}
	}
	return append(dst, ']'), nil
}

// mapEntry is one reflected map entry with the key as Python will see it.
type mapEntry struct {
	key string        // the JSON key
	neg bool          // integer keys: sign
	mag uint64        // integer keys: magnitude
	val reflect.Value // the map value
}

// appendRVMap writes maps other than the fast-path ones. String keys sort
// by code point; integer keys sort numerically and are then turned into
// strings, which is what Python's json.dumps(sort_keys=True) does with an
// int-keyed dict. Mixed or other key types are an error, as in Python.
func (e *encoder) appendRVMap(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, tooDeep()
	}
	kt := rv.Type().Key()
	kind := kt.Kind()
	switch {
	case kind == reflect.String, isIntKind(kind), kind == reflect.Interface:
	case kt.Implements(textMarshalerType):
		return e.viaJSON(dst, rv, depth)
	default:
		return dst, encErr(ErrUnsupportedType, "map key type "+kt.String()+" is neither a string nor an integer")
	}
	entries := make([]mapEntry, 0, rv.Len())
	numeric, textual := false, false
	iter := rv.MapRange()
	for iter.Next() {
		k := iter.Key()
		if k.Kind() == reflect.Interface {
			k = k.Elem()
		}
		ent := mapEntry{val: iter.Value()}
		switch {
		case k.Kind() == reflect.String:
			textual = true
			ent.key = k.String()
			if !utf8.ValidString(ent.key) {
				ent.key = repairUTF8(ent.key)
			}
		case isIntKind(k.Kind()):
			numeric = true
			if k.CanInt() {
				i := k.Int()
				ent.neg, ent.mag = i < 0, uint64(i)
				if i < 0 {
					ent.mag = uint64(-i)
				}
				ent.key = strconv.FormatInt(i, 10)
			} else {
				ent.mag = k.Uint()
				ent.key = strconv.FormatUint(ent.mag, 10)
			}
		default:
			desc := "nil"
			if k.IsValid() {
				desc = k.Type().String()
			}
			return dst, encErr(ErrUnsupportedType, "map key of type "+desc+" is neither a string nor an integer")
		}
		entries = append(entries, ent)
	}
	if numeric && textual {
		return dst, encErr(ErrUnsupportedType, "map mixes string and integer keys, which Python cannot sort")
	}
	if numeric {
		slices.SortFunc(entries, func(a, b mapEntry) int { return cmpInt(a.neg, a.mag, b.neg, b.mag) })
	} else {
		slices.SortFunc(entries, func(a, b mapEntry) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return 0
		})
	}
	var err error
	if len(entries) == 1 && textual && isTagKey(entries[0].key) {
		k := entries[0].key
		if depth+1 >= MaxDepth {
			return dst, tooDeep()
		}
		dst = append(dst, `{" di":{"`...)
		dst = append(dst, k...)
		dst = append(dst, `__":`...)
		if dst, err = e.appendRV(dst, entries[0].val, depth+2); err != nil {
			return dst, atKey(err, k)
		}
		return append(dst, "}}"...), nil
	}
	dst = append(dst, '{')
	for i, ent := range entries {
		if i > 0 {
			if ent.key == entries[i-1].key {
				return dst, atKey(encErr(ErrUnsupportedValue, "two keys are the same text once invalid UTF-8 is replaced by U+FFFD"), ent.key)
			}
			dst = append(dst, ',')
		}
		dst = appendString(dst, ent.key)
		dst = append(dst, ':')
		if dst, err = e.appendRV(dst, ent.val, depth+1); err != nil {
			return dst, atKey(err, ent.key)
		}
	}
	return append(dst, '}'), nil
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func cmpInt(aneg bool, amag uint64, bneg bool, bmag uint64) int {
	switch {
	case aneg != bneg:
		if aneg {
			return -1
		}
		return 1
	case amag == bmag:
		return 0
	case (amag < bmag) != aneg:
		return -1
	}
	return 1
}

// viaJSON encodes rv with encoding/json (so structs honour their json tags
// and types with MarshalJSON or MarshalText use them) and then writes the
// result as generic tagged values. Like a dataclass in Flask, the value
// reads back as plain JSON data, not as the original type.
func (e *encoder) viaJSON(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		var ute *json.UnsupportedTypeError
		if errors.As(err, &ute) {
			return dst, encErr(ErrUnsupportedType, err.Error())
		}
		return dst, encErr(ErrUnsupportedValue, "encoding/json: "+err.Error())
	}
	d := decoder{s: string(b)}
	v, err := d.document()
	if err != nil {
		return dst, encErr(ErrUnsupportedValue, "re-reading the encoding/json output of "+rv.Type().String()+": "+err.Error())
	}
	return e.appendValue(dst, v, depth)
}
