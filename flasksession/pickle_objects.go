package flasksession

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func (u *unpickler) global(module, name string) (pyGlobal, error) {
	g, ok := allowedGlobals[module+" "+name]
	if !ok {
		return "", u.fail(ErrUnsafePickle, "global %.64q is not allowed", module+"."+name)
	}
	return g, nil
}

// call runs REDUCE: one of the allowed functions, with args.
func (u *unpickler) call(fn any, args taggedjson.Tuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, u.fail(ErrSyntax, "REDUCE on %s, which is not callable", pyTypeName(fn))
	}
	bad := func() error {
		return u.fail(ErrUnsupportedValue, "unexpected arguments to %s: %s", g, describeArgs(args))
	}
	switch g {
	case gDatetime:
		return u.datetime(args)
	case gDate:
		var y, m, d int
		if state, ok := stateBytes(args, 4); ok && len(args) == 1 {
			y, m, d = int(state[0])<<8|int(state[1]), int(state[2]), int(state[3])
		} else if ints, ok := smallInts(args, 3, 3); ok {
			y, m, d = ints[0], ints[1], ints[2]
		} else {
			return nil, bad()
		}
		if !validDate(y, m, d) {
			return nil, u.fail(ErrUnsupportedValue, "invalid date %d-%d-%d", y, m, d)
		}
		// Flask-Session 0.8 writes a date as this string; a Go session has no
		// date type.
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d), nil
	case gTimedelta:
		var parts [3]*big.Int
		for k := range parts {
			parts[k] = new(big.Int)
		}
		if len(args) > 3 {
			return nil, bad()
		}
		for k, a := range args {
			i, b, ok := intValue(a)
			if !ok {
				return nil, bad()
			}
			if b == nil {
				b = big.NewInt(i)
			}
			parts[k] = b
		}
		return u.timedelta(parts[0], parts[1], parts[2])
	case gTimezone:
		if len(args) < 1 || len(args) > 2 {
			return nil, bad()
		}
		td, ok := args[0].(*pyTimedelta)
		if !ok {
			return nil, bad()
		}
		if len(args) == 2 {
			if _, ok := args[1].(string); !ok {
				return nil, bad()
			}
		}
		if td.days < -1 || td.days > 0 || (td.days == -1 && td.seconds == 0 && td.micros == 0) {
			return nil, u.fail(ErrUnsupportedValue, "timezone offset must be strictly between -24 and 24 hours")
		}
		if td.micros != 0 {
			return nil, u.fail(ErrUnsupportedValue, "timezone offset with microseconds has no Go counterpart")
		}
		return &pyTimezone{offset: int(td.days*86400 + td.seconds)}, nil
	case gEncode:
		if len(args) < 1 || len(args) > 2 {
			return nil, bad()
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, bad()
		}
		enc := "utf-8"
		if len(args) == 2 {
			if enc, ok = args[1].(string); !ok {
				return nil, bad()
			}
		}
		return u.encode(s, enc)
	case gSet, gFrozenset:
		var items []any
		switch len(args) {
		case 0:
		case 1:
			switch x := args[0].(type) {
			case *pyList:
				items = append(items, x.items...)
			case taggedjson.Tuple:
				items = append(items, x...)
			case *pySet:
				items = append(items, x.items...)
			default:
				return nil, bad()
			}
		default:
			return nil, bad()
		}
		if err := u.hashable(items); err != nil {
			return nil, err
		}
		return &pySet{items: items, frozen: g == gFrozenset}, nil
	case gBytes, gBytearray:
		switch len(args) {
		case 0:
			return []byte{}, nil
		case 1:
			if b, ok := args[0].([]byte); ok {
				return append([]byte{}, b...), nil
			}
		case 2:
			s, ok1 := args[0].(string)
			enc, ok2 := args[1].(string)
			if ok1 && ok2 {
				return u.encode(s, enc)
			}
		}
		return nil, bad()
	case gReconstructor:
		if len(args) != 3 {
			return nil, bad()
		}
		switch {
		case args[0] == gMarkup && args[1] == gStr:
			if s, ok := args[2].(string); ok {
				return taggedjson.Markup(s), nil
			}
		case args[0] == gUUID && args[1] == gObject && args[2] == nil:
			return &pyUUID{}, nil
		}
		return nil, u.fail(ErrUnsafePickle, "copyreg._reconstructor%s is not allowed", describeArgs(args))
	case gMarkup:
		switch len(args) {
		case 0:
			return taggedjson.Markup(""), nil
		case 1:
			if s, ok := args[0].(string); ok {
				return taggedjson.Markup(s), nil
			}
		}
		return nil, bad()
	}
	return nil, u.fail(ErrUnsafePickle, "calling %s is not allowed", g)
}

// newObj runs NEWOBJ: cls.__new__(cls, *args).
func (u *unpickler) newObj(cls any, args taggedjson.Tuple) (any, error) {
	switch cls {
	case gMarkup:
		return u.call(gMarkup, args)
	case gUUID:
		if len(args) == 0 {
			return &pyUUID{}, nil
		}
	}
	return nil, u.fail(ErrUnsafePickle, "creating %s%s is not allowed", pyTypeName(cls), describeArgs(args))
}

// build runs BUILD (obj.__setstate__(state)); only uuid.UUID needs it.
func (u *unpickler) build(obj, state any) error {
	if state == nil {
		return nil // Python skips a None state
	}
	id, ok := obj.(*pyUUID)
	if !ok {
		return u.fail(ErrUnsupportedValue, "BUILD on %s is not supported", pyTypeName(obj))
	}
	var attrs map[string]any
	switch s := state.(type) {
	case *pyDict:
		attrs = s.m
	case taggedjson.Tuple: // (dict state, slot state)
		attrs = map[string]any{}
		for _, part := range s {
			if d, ok := part.(*pyDict); ok {
				for k, v := range d.m {
					attrs[k] = v
				}
			} else if part != nil || len(s) != 2 {
				return u.fail(ErrSyntax, "invalid UUID state")
			}
		}
	default:
		return u.fail(ErrSyntax, "invalid UUID state")
	}
	for k, v := range attrs {
		switch k {
		case "int":
			i, b, ok := intValue(v)
			if !ok {
				return u.fail(ErrSyntax, "UUID int is %s", pyTypeName(v))
			}
			if b == nil {
				b = big.NewInt(i)
			}
			if b.Sign() < 0 || b.BitLen() > 128 {
				return u.fail(ErrUnsupportedValue, "UUID int out of range")
			}
			var raw [16]byte
			b.FillBytes(raw[:])
			id.id, id.built = raw, true
		case "is_safe": // uuid.SafeUUID's value; meaningless here
		default:
			return u.fail(ErrUnsupportedValue, "unexpected UUID attribute %.64q", k)
		}
	}
	return nil
}

func (u *unpickler) encode(s, enc string) ([]byte, error) {
	switch strings.ToLower(strings.ReplaceAll(enc, "_", "-")) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return nil, u.fail(ErrSyntax, "'latin-1' codec can't encode character %U", r)
			}
			b = append(b, byte(r))
		}
		return b, nil
	case "utf-8", "utf8":
		return []byte(s), nil
	}
	return nil, u.fail(ErrUnsupportedValue, "encoding %.64q is not supported", enc)
}

func (u *unpickler) datetime(args taggedjson.Tuple) (any, error) {
	var f [7]int // year, month, day, hour, minute, second, microsecond
	var tzArg any
	if state, ok := stateBytes(args, 10); ok && len(args) <= 2 && state[2]&0x7f >= 1 && state[2]&0x7f <= 12 {
		f = [7]int{int(state[0])<<8 | int(state[1]), int(state[2] & 0x7f), int(state[3]), int(state[4]), int(state[5]), int(state[6]),
			int(state[7])<<16 | int(state[8])<<8 | int(state[9])}
		if len(args) == 2 {
			tzArg = args[1]
		}
	} else {
		n := len(args)
		if n == 8 {
			tzArg, n = args[7], 7
		}
		ints, ok := smallInts(args[:n], 3, 7)
		if !ok {
			return nil, u.fail(ErrUnsupportedValue, "unexpected arguments to datetime.datetime: %s", describeArgs(args))
		}
		copy(f[:], ints)
	}
	if !validDate(f[0], f[1], f[2]) || f[3] > 23 || f[4] > 59 || f[5] > 59 || f[6] > 999999 || f[3] < 0 || f[4] < 0 || f[5] < 0 || f[6] < 0 {
		return nil, u.fail(ErrUnsupportedValue, "invalid datetime fields %v", f)
	}
	loc := time.UTC // a naive datetime is taken as UTC
	switch tz := tzArg.(type) {
	case nil:
	case *pyTimezone:
		if tz.offset != 0 {
			loc = time.FixedZone("", tz.offset)
		}
	default:
		return nil, u.fail(ErrUnsupportedValue, "datetime tzinfo is %s; only datetime.timezone is supported", pyTypeName(tzArg))
	}
	return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, loc), nil
}

// timedelta normalises like Python: 0 <= seconds < 86400, 0 <= micros < 10**6.
func (u *unpickler) timedelta(days, secs, micros *big.Int) (any, error) {
	total := new(big.Int).Mul(days, big.NewInt(86400*1e6))
	total.Add(total, new(big.Int).Mul(secs, big.NewInt(1e6)))
	total.Add(total, micros)
	d, rem := new(big.Int).DivMod(total, big.NewInt(86400*1e6), new(big.Int))
	if !d.IsInt64() || d.Int64() < -999999999 || d.Int64() > 999999999 {
		return nil, u.fail(ErrUnsupportedValue, "timedelta out of range")
	}
	r := rem.Int64()
	return &pyTimedelta{days: d.Int64(), seconds: r / 1e6, micros: r % 1e6}, nil
}

// stateBytes returns the first argument when it is the binary state of a
// date/datetime: bytes of length n, or a str of n Latin-1 characters
// (Python 2 pickles).
func stateBytes(args taggedjson.Tuple, n int) ([]byte, bool) {
	if len(args) == 0 {
		return nil, false
	}
	switch x := args[0].(type) {
	case []byte:
		return x, len(x) == n
	case string:
		b := make([]byte, 0, n)
		for _, r := range x {
			if r > 0xff {
				return nil, false
			}
			b = append(b, byte(r))
		}
		return b, len(b) == n
	}
	return nil, false
}

// smallInts returns args as ints when there are min..max of them and each
// is an int of modest size.
func smallInts(args taggedjson.Tuple, min, max int) ([]int, bool) {
	if len(args) < min || len(args) > max {
		return nil, false
	}
	out := make([]int, len(args))
	for k, a := range args {
		i, ok := a.(int64)
		if !ok || i < -1<<31 || i > 1<<31 {
			return nil, false
		}
		out[k] = int(i)
	}
	return out, true
}

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func describeArgs(args taggedjson.Tuple) string {
	// An error message names a few arguments, never the whole input.
	const maxNamed = 8
	names := make([]string, 0, min(len(args), maxNamed+1))
	for k, a := range args {
		if k == maxNamed {
			names = append(names, "... "+strconv.Itoa(len(args)-maxNamed)+" more")
			break
		}
		names = append(names, pyTypeName(a))
	}
	return "(" + strings.Join(names, ", ") + ")"
}

func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case taggedjson.Markup:
		return "markupsafe.Markup"
	case time.Time:
		return "datetime.datetime"
	case taggedjson.Tuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pySet:
		if x.frozen {
			return "frozenset"
		}
		return "set"
	case pyGlobal:
		return string(x)
	case *pyTimedelta:
		return "datetime.timedelta"
	case *pyTimezone:
		return "datetime.timezone"
	case *pyUUID:
		return "uuid.UUID"
	}
	return fmt.Sprintf("%T", v)
}
