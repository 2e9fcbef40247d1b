package flasksession

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/flaskgo/session/taggedjson"
)

// Marshal implements session.Serializer.
func (Pickle) Marshal(values map[string]any) ([]byte, error) {
	p := pickler{buf: append(make([]byte, 0, 128), 0x80, 2)} // PROTO 2
	if err := p.dict(values, 0); err != nil {
		return nil, err
	}
	return append(p.buf, '.'), nil // STOP
}

// pickler writes protocol 2 without memo opcodes: no value is shared, and
// readers do not need them.
type pickler struct {
	buf []byte
}

func (p *pickler) fail(err error, format string, args ...any) error {
	return &EncodeError{Format: "pickle", Msg: fmt.Sprintf(format, args...), Err: err}
}

func (p *pickler) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		p.buf = append(p.buf, 'N')
	case bool:
		if x {
			p.buf = append(p.buf, 0x88)
		} else {
			p.buf = append(p.buf, 0x89)
		}
	case string:
		return p.str(x)
	case int64:
		p.int(x)
	case float64:
		p.float(x)
	case float32:
		p.float(float64(x))
	case []byte:
		return p.bytes(x)
	case taggedjson.Markup:
		// markupsafe.Markup.__new__(Markup, text), as Python pickles it.
		p.global("markupsafe", "Markup")
		if err := p.str(string(x)); err != nil {
			return err
		}
		p.buf = append(p.buf, 0x85, 0x81) // TUPLE1 NEWOBJ
	case taggedjson.UUID:
		// uuid.UUID.__new__(UUID) then BUILD {"int": n}, as Python pickles it.
		p.global("uuid", "UUID")
		p.buf = append(p.buf, ')', 0x81, '}')
		if err := p.str("int"); err != nil {
			return err
		}
		p.bigInt(new(big.Int).SetBytes(x[:]))
		p.buf = append(p.buf, 's', 'b')
	case time.Time:
		return p.time(x)
	case map[string]any:
		return p.dict(x, depth)
	case []any:
		if depth >= MaxDepth {
			return p.fail(ErrTooDeep, "more than %d nested containers (or a list that contains itself)", MaxDepth)
		}
		p.buf = append(p.buf, ']')
		if len(x) == 0 {
			return nil
		}
		p.buf = append(p.buf, '(')
		for i, e := range x {
			if err := p.value(e, depth+1); err != nil {
				return inPath(err, indexElem(i))
			}
		}
		p.buf = append(p.buf, 'e') // APPENDS
	case taggedjson.Tuple:
		if depth >= MaxDepth {
			return p.fail(ErrTooDeep, "more than %d nested containers (or a tuple that contains itself)", MaxDepth)
		}
		if len(x) > 3 {
			p.buf = append(p.buf, '(')
		}
		for i, e := range x {
			if err := p.value(e, depth+1); err != nil {
				return inPath(err, indexElem(i))
			}
		}
		switch len(x) {
		case 0:
			p.buf = append(p.buf, ')')
		case 1, 2, 3:
			p.buf = append(p.buf, 0x85+byte(len(x)-1))
		default:
			p.buf = append(p.buf, 't')
		}
	default:
		if i, b, ok := intValue(v); ok {
			if b == nil {
				p.int(i)
			} else {
				p.bigInt(b)
			}
			return nil
		}
		g, err := convertOther("pickle", v)
		if err != nil {
			return err
		}
		return p.value(g, depth)
	}
	return nil
}

func (p *pickler) dict(m map[string]any, depth int) error {
	if depth >= MaxDepth {
		return p.fail(ErrTooDeep, "more than %d nested containers (or a map that contains itself)", MaxDepth)
	}
	p.buf = append(p.buf, '}')
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p.buf = append(p.buf, '(')
	for _, k := range keys {
		if err := p.str(k); err != nil {
			return inPath(err, keyElem(k))
		}
		if err := p.value(m[k], depth+1); err != nil {
			return inPath(err, keyElem(k))
		}
	}
	p.buf = append(p.buf, 'u') // SETITEMS
	return nil
}

func (p *pickler) global(module, name string) {
	p.buf = append(p.buf, 'c')
	p.buf = append(p.buf, module...)
	p.buf = append(p.buf, '\n')
	p.buf = append(p.buf, name...)
	p.buf = append(p.buf, '\n')
}

func (p *pickler) str(s string) error {
	if !utf8.ValidString(s) {
		return p.fail(ErrUnsupportedValue, "string %.64q is not valid UTF-8; Python strings must be", s)
	}
	p.rawStr(s)
	return nil
}

func (p *pickler) rawStr(s string) {
	p.buf = binary.LittleEndian.AppendUint32(append(p.buf, 'X'), uint32(len(s))) // BINUNICODE
	p.buf = append(p.buf, s...)
}

// bytes writes _codecs.encode(latin-1 text, "latin1"): protocol 2 has no
// bytes opcode, and this is how Python 3 writes bytes in protocols 0-2.
func (p *pickler) bytes(b []byte) error {
	if uint64(len(b)) > math.MaxUint32/2 {
		return p.fail(ErrUnsupportedValue, "%d bytes do not fit in a protocol 2 pickle", len(b))
	}
	p.global("_codecs", "encode")
	text := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		text = append(text, string(rune(c))...)
	}
	p.rawStr(string(text))
	p.rawStr("latin1")
	p.buf = append(p.buf, 0x86, 'R') // TUPLE2 REDUCE
	return nil
}

func (p *pickler) int(i int64) {
	switch {
	case i >= 0 && i <= math.MaxUint8:
		p.buf = append(p.buf, 'K', byte(i))
	case i >= 0 && i <= math.MaxUint16:
		p.buf = append(p.buf, 'M', byte(i), byte(i>>8))
	case i >= math.MinInt32 && i <= math.MaxInt32:
		p.buf = binary.LittleEndian.AppendUint32(append(p.buf, 'J'), uint32(i))
	default:
		p.bigInt(big.NewInt(i))
	}
}

// bigInt writes LONG1/LONG4: minimal little-endian two's complement.
func (p *pickler) bigInt(x *big.Int) {
	if x.IsInt64() {
		if i := x.Int64(); i >= math.MinInt32 && i <= math.MaxInt32 {
			p.int(i)
			return
		}
	}
	n := x.BitLen()/8 + 1 // room for the sign bit
	var v *big.Int
	if x.Sign() >= 0 {
		v = x
	} else {
		v = new(big.Int).Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	be := v.FillBytes(make([]byte, n))
	le := make([]byte, n)
	for k := range be {
		le[n-1-k] = be[k]
	}
	// A negative value may need one byte less (e.g. -128 is 0x80, not 0x80 0xff).
	if x.Sign() < 0 && n > 1 && le[n-1] == 0xff && le[n-2]&0x80 != 0 {
		le = le[:n-1]
	}
	if len(le) < 256 {
		p.buf = append(p.buf, 0x8a, byte(len(le)))
	} else {
		p.buf = binary.LittleEndian.AppendUint32(append(p.buf, 0x8b), uint32(len(le)))
	}
	p.buf = append(p.buf, le...)
}

func (p *pickler) float(f float64) {
	p.buf = binary.BigEndian.AppendUint64(append(p.buf, 'G'), floatBits(f))
}

// time writes datetime.datetime(state, datetime.timezone(timedelta(0))):
// the 10-byte state through _codecs.encode, as Python's protocol 2 does.
func (p *pickler) time(t time.Time) error {
	t, err := pyTime(t)
	if err != nil {
		return p.fail(ErrUnsupportedValue, "%v", err)
	}
	us := t.Nanosecond() / 1000
	y := t.Year()
	state := []byte{byte(y >> 8), byte(y), byte(t.Month()), byte(t.Day()), byte(t.Hour()), byte(t.Minute()), byte(t.Second()),
		byte(us >> 16), byte(us >> 8), byte(us)}
	p.global("datetime", "datetime")
	if err := p.bytes(state); err != nil {
		return err
	}
	p.global("datetime", "timezone")
	p.global("datetime", "timedelta")
	p.buf = append(p.buf, 'K', 0, 'K', 0, 'K', 0, 0x87, 'R') // timedelta(0, 0, 0)
	p.buf = append(p.buf, 0x85, 'R')                         // timezone(...)
	p.buf = append(p.buf, 0x86, 'R')                         // datetime(state, tz)
	return nil
}
