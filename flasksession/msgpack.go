package flasksession

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"
	"unicode/utf8"

	"github.com/flaskgo/session/taggedjson"
)

// Msgpack is the MessagePack format of Flask-Session 0.7 and 0.8 (its
// default, SESSION_SERIALIZATION_FORMAT = "msgpack"), as msgspec writes it.
//
// Marshal uses the smallest encoding of every integer, string, binary,
// array and map, float64 for every float (NaN as Python's float("nan")),
// and the timestamp extension (-1) in its 4-, 8- or 12-byte form for times,
// written in UTC with microsecond precision. A session.Tuple
// becomes an array, a session.UUID its canonical string, a session.Markup a
// plain string (Flask gets a list and two str back, as with its own
// tuples). Keys of a map that Unmarshal (or the JSON and pickle
// decoders) built are written in the order they were read, keys added
// since appended in sorted order, so an untouched session is rewritten
// byte for byte as Flask-Session wrote it; keys of other maps are written
// sorted (Go maps have no insertion order). Flask reads either.
//
// Unmarshal accepts any valid MessagePack whose top level is a map with
// string keys (ErrNotMap otherwise) and nothing after it (ErrSyntax, the
// error that makes Flask-Session 0.8 try its other decoders). It maps str
// to string, bin to []byte, arrays to []any, integers to int64 or *big.Int,
// float32 and float64 to float64 and timestamps to time.Time in UTC. Map
// keys that are not strings and extension types other than the timestamp
// make it fail with ErrUnsupportedValue.
type Msgpack struct{}

// Marshal implements session.Serializer.
func (Msgpack) Marshal(values map[string]any) ([]byte, error) {
	e := mpEncoder{buf: make([]byte, 0, 64)}
	if err := e.mapValue(values, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Unmarshal implements session.Serializer.
func (Msgpack) Unmarshal(data []byte) (map[string]any, error) {
	d := mpDecoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.i != len(data) {
		return nil, d.fail(ErrSyntax, fmt.Sprintf("%d bytes after the end of the value", len(data)-d.i))
	}
	if d.unsupported != nil {
		return nil, d.unsupported
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &DecodeError{Format: "msgpack", Msg: "the value is " + mpTypeName(v) + ", not a map", Err: ErrNotMap}
	}
	return m, nil
}

// orderedMap is a map written with a fixed key order. Tests use it to
// reproduce Python's insertion order byte for byte.
type orderedMap struct {
	keys []string
	m    map[string]any
}

type mpEncoder struct {
	buf []byte
}

func (e *mpEncoder) fail(err error, format string, args ...any) error {
	return &EncodeError{Format: "msgpack", Msg: fmt.Sprintf(format, args...), Err: err}
}

func (e *mpEncoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 0xc0)
	case bool:
		if x {
			e.buf = append(e.buf, 0xc3)
		} else {
			e.buf = append(e.buf, 0xc2)
		}
	case string:
		return e.str(x)
	case taggedjson.Markup:
		return e.str(string(x))
	case int64:
		e.int(x)
	case float64:
		e.float(x)
	case float32:
		e.float(float64(x))
	case []byte:
		e.bin(x)
	case time.Time:
		return e.time(x)
	case taggedjson.UUID:
		return e.str(x.String())
	case map[string]any:
		return e.mapValue(x, depth)
	case *orderedMap:
		if depth >= MaxDepth {
			return e.fail(ErrTooDeep, "more than %d nested containers", MaxDepth)
		}
		e.mapHeader(len(x.keys))
		for _, k := range x.keys {
			if err := e.str(k); err != nil {
				return inPath(err, keyElem(k))
			}
			if err := e.value(x.m[k], depth+1); err != nil {
				return inPath(err, keyElem(k))
			}
		}
	case []any:
		return e.array(x, depth)
	case taggedjson.Tuple:
		return e.array(x, depth)
	default:
		if i, b, ok := intValue(v); ok {
			if b == nil {
				e.int(i)
				return nil
			}
			if b.Sign() < 0 || b.BitLen() > 64 {
				return e.fail(ErrUnsupportedValue, "integer %s is outside -2**63 ... 2**64-1, which MessagePack cannot hold (msgspec refuses it too)", b)
			}
			e.uint(b.Uint64())
			return nil
		}
		g, err := convertOther("msgpack", v)
		if err != nil {
			return err
		}
		return e.value(g, depth)
	}
	return nil
}

func (e *mpEncoder) mapValue(m map[string]any, depth int) error {
	if depth >= MaxDepth {
		return e.fail(ErrTooDeep, "more than %d nested containers (or a map that contains itself)", MaxDepth)
	}
	keys := orderedKeys(m)
	e.mapHeader(len(keys))
	for _, k := range keys {
		if err := e.str(k); err != nil {
			return inPath(err, keyElem(k))
		}
		if err := e.value(m[k], depth+1); err != nil {
			return inPath(err, keyElem(k))
		}
	}
	return nil
}

func (e *mpEncoder) array(list []any, depth int) error {
	if depth >= MaxDepth {
		return e.fail(ErrTooDeep, "more than %d nested containers (or a list that contains itself)", MaxDepth)
	}
	n := len(list)
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x90|byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xdc, byte(n>>8), byte(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdd), uint32(n))
	}
	for i, v := range list {
		if err := e.value(v, depth+1); err != nil {
			return inPath(err, indexElem(i))
		}
	}
	return nil
}

func (e *mpEncoder) mapHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x80|byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xde, byte(n>>8), byte(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdf), uint32(n))
	}
}

func (e *mpEncoder) str(s string) error {
	if !utf8.ValidString(s) {
		return e.fail(ErrUnsupportedValue, "string %.64q is not valid UTF-8; Flask could not decode it", s)
	}
	n := len(s)
	switch {
	case n < 32:
		e.buf = append(e.buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xd9, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xda, byte(n>>8), byte(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdb), uint32(n))
	}
	e.buf = append(e.buf, s...)
	return nil
}

func (e *mpEncoder) bin(b []byte) {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xc4, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xc5, byte(n>>8), byte(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xc6), uint32(n))
	}
	e.buf = append(e.buf, b...)
}

func (e *mpEncoder) int(i int64) {
	switch {
	case i >= 0:
		e.uint(uint64(i))
	case i >= -32:
		e.buf = append(e.buf, byte(i))
	case i >= math.MinInt8:
		e.buf = append(e.buf, 0xd0, byte(i))
	case i >= math.MinInt16:
		e.buf = append(e.buf, 0xd1, byte(i>>8), byte(i))
	case i >= math.MinInt32:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xd2), uint32(i))
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xd3), uint64(i))
	}
}

func (e *mpEncoder) uint(u uint64) {
	switch {
	case u <= 127:
		e.buf = append(e.buf, byte(u))
	case u <= math.MaxUint8:
		e.buf = append(e.buf, 0xcc, byte(u))
	case u <= math.MaxUint16:
		e.buf = append(e.buf, 0xcd, byte(u>>8), byte(u))
	case u <= math.MaxUint32:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xce), uint32(u))
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xcf), u)
	}
}

func (e *mpEncoder) float(f float64) {
	e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xcb), floatBits(f))
}

// floatBits is math.Float64bits, except that every NaN becomes the one
// Python's float("nan") has (Go's math.NaN differs in its last bit).
func floatBits(f float64) uint64 {
	if f != f {
		return 0x7ff8000000000000
	}
	return math.Float64bits(f)
}

// time writes the timestamp extension in the smallest of its three forms,
// as msgspec does for an aware datetime.
func (e *mpEncoder) time(t time.Time) error {
	t, err := pyTime(t)
	if err != nil {
		return e.fail(ErrUnsupportedValue, "%v", err)
	}
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	if sec>>34 == 0 {
		data := nsec<<34 | uint64(sec)
		if data>>32 == 0 {
			e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xd6, 0xff), uint32(data))
		} else {
			e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xd7, 0xff), data)
		}
		return nil
	}
	e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xc7, 12, 0xff), uint32(nsec))
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(sec))
	return nil
}

// maxPrealloc bounds the room reserved for an array or map before its
// elements are read.
const maxPrealloc = 1024

type mpDecoder struct {
	data []byte
	i    int
	// unsupported is the first value that is valid MessagePack but has no Go
	// counterpart. Decoding goes on so that malformed input is still
	// reported as ErrSyntax, the error Flask-Session falls back on.
	unsupported error
}

func (d *mpDecoder) fail(err error, msg string) error {
	return &DecodeError{Format: "msgpack", Offset: d.i, Msg: msg, Err: err}
}

func (d *mpDecoder) truncated() error {
	return &DecodeError{Format: "msgpack", Offset: len(d.data), Msg: "input ends in the middle of a value", Err: ErrSyntax}
}

func (d *mpDecoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)-d.i) {
		return nil, d.truncated()
	}
	b := d.data[d.i : d.i+int(n)]
	d.i += int(n)
	return b, nil
}

func (d *mpDecoder) size(n int) (uint64, error) {
	b, err := d.take(uint64(n))
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

func (d *mpDecoder) unsupportedAt(off int, msg string) {
	if d.unsupported == nil {
		d.unsupported = &DecodeError{Format: "msgpack", Offset: off, Msg: msg, Err: ErrUnsupportedValue}
	}
}

func (d *mpDecoder) value(depth int) (any, error) {
	if d.i >= len(d.data) {
		return nil, d.truncated()
	}
	start := d.i
	c := d.data[d.i]
	d.i++
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapBody(uint64(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayBody(uint64(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		return d.strBody(uint64(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := d.size(1 << (c - 0xc4))
		if err != nil {
			return nil, err
		}
		b, err := d.take(n)
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case 0xc7, 0xc8, 0xc9:
		n, err := d.size(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(n, start)
	case 0xca:
		n, err := d.size(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(n))), nil
	case 0xcb:
		n, err := d.size(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(n), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.size(1 << (c - 0xcc))
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	case 0xd0:
		u, err := d.size(1)
		return int64(int8(u)), err
	case 0xd1:
		u, err := d.size(2)
		return int64(int16(u)), err
	case 0xd2:
		u, err := d.size(4)
		return int64(int32(u)), err
	case 0xd3:
		u, err := d.size(8)
		return int64(u), err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(1<<(c-0xd4), start)
	case 0xd9, 0xda, 0xdb:
		n, err := d.size(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		return d.strBody(n)
	case 0xdc, 0xdd:
		n, err := d.size(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.arrayBody(n, depth)
	case 0xde, 0xdf:
		n, err := d.size(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		return d.mapBody(n, depth)
	}
	d.i = start
	return nil, d.fail(ErrSyntax, fmt.Sprintf("byte 0x%02x does not start a MessagePack value", c))
}

func (d *mpDecoder) strBody(n uint64) (any, error) {
	start := d.i
	b, err := d.take(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		d.i = start
		return nil, d.fail(ErrSyntax, "str is not valid UTF-8")
	}
	return string(b), nil
}

func (d *mpDecoder) arrayBody(n uint64, depth int) (any, error) {
	if depth >= MaxDepth {
		return nil, d.fail(ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth))
	}
	// Every element takes at least one byte.
	if n > uint64(len(d.data)-d.i) {
		return nil, d.truncated()
	}
	// The count is only a claim: nested containers that each claim as many
	// elements as the input could hold must not each allocate that much.
	list := make([]any, 0, min(n, maxPrealloc))
	for ; n > 0; n-- {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, nil
}

func (d *mpDecoder) mapBody(n uint64, depth int) (any, error) {
	if depth >= MaxDepth {
		return nil, d.fail(ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth))
	}
	if n > uint64(len(d.data)-d.i)/2 {
		return nil, d.truncated()
	}
	m := make(map[string]any, min(n, maxPrealloc/16))
	keys := make([]string, 0, min(n, maxPrealloc/16))
	defer func() { rememberOrder(m, keys) }()
	for ; n > 0; n-- {
		off := d.i
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			d.unsupportedAt(off, "map key is "+mpTypeName(k)+"; only string keys have a Go counterpart")
			continue
		}
		if _, dup := m[ks]; !dup {
			keys = append(keys, ks)
		}
		m[ks] = v
	}
	return m, nil
}

// ext reads an extension value of n data bytes; start is where its header
// began. Only the timestamp type (-1) has a Go counterpart.
func (d *mpDecoder) ext(n uint64, start int) (any, error) {
	tb, err := d.take(1)
	if err != nil {
		return nil, err
	}
	body, err := d.take(n)
	if err != nil {
		return nil, err
	}
	if int8(tb[0]) != -1 {
		d.unsupportedAt(start, fmt.Sprintf("extension type %d has no Go counterpart (Python gets a msgspec.msgpack.Ext)", int8(tb[0])))
		return nil, nil
	}
	var sec int64
	var nsec uint32
	switch n {
	case 4:
		sec = int64(binary.BigEndian.Uint32(body))
	case 8:
		x := binary.BigEndian.Uint64(body)
		nsec, sec = uint32(x>>34), int64(x&(1<<34-1))
	case 12:
		nsec, sec = binary.BigEndian.Uint32(body), int64(binary.BigEndian.Uint64(body[4:]))
	default:
		d.i = start
		return nil, d.fail(ErrSyntax, fmt.Sprintf("timestamp extension with %d data bytes (4, 8 or 12 expected)", n))
	}
	if nsec > 999999999 {
		d.i = start
		return nil, d.fail(ErrSyntax, "timestamp nanoseconds out of range")
	}
	// Years 1-9999: the range of Python's datetime, and of msgspec's decoder.
	if sec < minTime.Unix() || sec >= maxTime.Unix() {
		d.i = start
		return nil, d.fail(ErrSyntax, fmt.Sprintf("timestamp %d is outside the years 1-9999", sec))
	}
	return time.Unix(sec, int64(nsec)).UTC().Truncate(time.Microsecond), nil
}

func mpTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "a bool"
	case int64, *big.Int:
		return "an integer"
	case float64:
		return "a float"
	case string:
		return "a str"
	case []byte:
		return "bin"
	case []any:
		return "an array"
	case map[string]any:
		return "a map"
	case time.Time:
		return "a timestamp"
	}
	return fmt.Sprintf("%T", v)
}
