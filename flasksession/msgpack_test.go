package flasksession

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func TestMsgpackMarshalEncodings(t *testing.T) {
	u64max := new(big.Int).SetUint64(math.MaxUint64)
	uuid, _ := taggedjson.ParseUUID("12345678-1234-5678-1234-567812345678")
	s := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		v    any
		hex  string // encoding of the value alone (after the 81 a1 76 prefix)
	}{
		{"nil", nil, "c0"},
		{"true", true, "c3"},
		{"false", false, "c2"},
		{"0", int64(0), "00"},
		{"127", int64(127), "7f"},
		{"128", int64(128), "cc80"},
		{"255", int64(255), "ccff"},
		{"256", int64(256), "cd0100"},
		{"65535", int64(65535), "cdffff"},
		{"65536", int64(65536), "ce00010000"},
		{"2^32-1", int64(1<<32 - 1), "ceffffffff"},
		{"2^32", int64(1 << 32), "cf0000000100000000"},
		{"-1", int64(-1), "ff"},
		{"-32", int64(-32), "e0"},
		{"-33", int64(-33), "d0df"},
		{"-128", int64(-128), "d080"},
		{"-129", int64(-129), "d1ff7f"},
		{"-32768", int64(-32768), "d18000"},
		{"-32769", int64(-32769), "d2ffff7fff"},
		{"-2^31", int64(math.MinInt32), "d280000000"},
		{"-2^31-1", int64(math.MinInt32 - 1), "d3ffffffff7fffffff"},
		{"int64 min", int64(math.MinInt64), "d38000000000000000"},
		{"uint64 max", u64max, "cfffffffffffffffff"},
		{"go int", 300, "cd012c"},
		{"go uint8", uint8(200), "ccc8"},
		{"float", 1.5, "cb3ff8000000000000"},
		{"float32 widened", float32(1.5), "cb3ff8000000000000"},
		{"negative zero", math.Copysign(0, -1), "cb8000000000000000"},
		{"NaN as Python's", math.NaN(), "cb7ff8000000000000"},
		{"str 0", "", "a0"},
		{"str 31", s(31), "bf" + strings.Repeat("78", 31)},
		{"str 32", s(32), "d920" + strings.Repeat("78", 32)},
		{"str 256", s(256), "da0100" + strings.Repeat("78", 256)},
		{"markup is str", taggedjson.Markup("<b>"), "a33c623e"},
		{"uuid is its string", uuid, "d924" + hexOf("12345678-1234-5678-1234-567812345678")},
		{"bin 0", []byte{}, "c400"},
		{"bin 256", make([]byte, 256), "c50100" + strings.Repeat("00", 256)},
		{"array 15", make([]any, 15), "9f" + strings.Repeat("c0", 15)},
		{"array 16", make([]any, 16), "dc0010" + strings.Repeat("c0", 16)},
		{"tuple is array", taggedjson.Tuple{int64(1), "a"}, "9201a161"},
		{"map sorted", map[string]any{"b": int64(2), "a": int64(1)}, "82a16101a16202"},
		{"ts 4 bytes", time.Unix(1704164645, 0), "d6ff65937d25"},
		{"ts 8 bytes", time.Date(2024, 6, 30, 12, 0, 0, 250000000, time.UTC), "d7ff3b9aca0066814 8c0"},
		{"ts in another zone is UTC", time.Date(2024, 1, 2, 5, 4, 5, 0, time.FixedZone("", 7200)), "d6ff65937d25"},
		{"ts sub-microsecond dropped", time.Unix(1704164645, 999), "d6ff65937d25"},
		{"ts 12 bytes pre-1970", time.Unix(-1, 0), "c70cff00000000ffffffffffffffff"},
		{"ts 8 bytes year 2500", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), "d7ff00000003e4e6b080"},
		{"ts 12 bytes year 2600", time.Date(2600, 1, 1, 0, 0, 0, 0, time.UTC), "c70cff0000000000000004a0fe7280"},
		{"ts year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "c70cff00000000" + "fffffff1886e0900"},
		{"struct via JSON", struct {
			A int `json:"a"`
		}{A: 1}, "81a16101"},
		{"typed slice", []string{"x"}, "91a178"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Msgpack{}.Marshal(map[string]any{"v": tt.v})
			if err != nil {
				t.Fatal(err)
			}
			want := mustHex(t, "81a176"+strings.ReplaceAll(tt.hex, " ", ""))
			if !bytes.Equal(got, want) {
				t.Errorf("got  %x\nwant %x", got, want)
			}
		})
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(out)
}

func TestMsgpackMarshalErrors(t *testing.T) {
	big65 := new(big.Int).Lsh(big.NewInt(1), 64)
	loop := map[string]any{}
	loop["self"] = loop
	tests := []struct {
		name string
		v    map[string]any
		err  error
		path string
	}{
		{"int beyond uint64", map[string]any{"n": []any{big65}}, ErrUnsupportedValue, `["n"][0]`},
		{"int below int64", map[string]any{"n": new(big.Int).Neg(big65)}, ErrUnsupportedValue, `["n"]`},
		{"invalid UTF-8 value", map[string]any{"s": "\xff"}, ErrUnsupportedValue, `["s"]`},
		{"invalid UTF-8 key", map[string]any{"\xff": 1}, ErrUnsupportedValue, `["\xff"]`},
		{"year 10000", map[string]any{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrUnsupportedValue, `["t"]`},
		{"year 0", map[string]any{"t": time.Time{}.Add(-time.Hour)}, ErrUnsupportedValue, `["t"]`},
		{"channel", map[string]any{"c": make(chan int)}, ErrUnsupportedType, `["c"]`},
		{"self reference", loop, ErrTooDeep, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Msgpack{}.Marshal(tt.v)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			var ee *EncodeError
			if !errors.As(err, &ee) || (tt.path != "" && ee.Path != tt.path) {
				t.Errorf("error %#v, want path %s", err, tt.path)
			}
		})
	}
}

func TestMsgpackUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want map[string]any
	}{
		{"empty map", "80", map[string]any{}},
		{"map16", "de0001a16101", map[string]any{"a": int64(1)}},
		{"map32", "df00000001a16101", map[string]any{"a": int64(1)}},
		{"all ints", "8aa161ccffa162cdffffa163ceffffffffa164cfffffffffffffffffa165d080a166d18000a167d280000000a168d38000000000000000a169e0a16a7f",
			map[string]any{"a": int64(255), "b": int64(65535), "c": int64(1<<32 - 1), "d": bigU64(), "e": int64(-128),
				"f": int64(-32768), "g": int64(math.MinInt32), "h": int64(math.MinInt64), "i": int64(-32), "j": int64(127)}},
		{"float32", "81a161ca3fc00000", map[string]any{"a": 1.5}},
		{"str8/16/32", "83a161d90178a162da000178a163db0000000178", map[string]any{"a": "x", "b": "x", "c": "x"}},
		{"bin8/16/32", "83a161c40100a162c5000100a163c600000001ff", map[string]any{"a": []byte{0}, "b": []byte{0}, "c": []byte{0xff}}},
		{"array16/32", "82a161dc000101a162dd0000000102", map[string]any{"a": []any{int64(1)}, "b": []any{int64(2)}}},
		{"nil bool", "83a161c0a162c2a163c3", map[string]any{"a": nil, "b": false, "c": true}},
		{"ts4", "81a161d6ff65937d25", map[string]any{"a": time.Unix(1704164645, 0).UTC()}},
		{"ts8", "81a161d7ff3b9aca00668148c0", map[string]any{"a": time.Date(2024, 6, 30, 12, 0, 0, 250000000, time.UTC)}},
		{"ts12", "81a161c70cff000003e8ffffffffffffffff", map[string]any{"a": time.Unix(-1, 1000).UTC()}},
		{"ts nanoseconds truncated", "81a161c70cff000003e9ffffffffffffffff", map[string]any{"a": time.Unix(-1, 1000).UTC()}},
		{"duplicate key: last wins", "82a16101a16102", map[string]any{"a": int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Msgpack{}.Unmarshal(mustHex(t, tt.hex))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Error(d)
			}
			for k, v := range got {
				if tm, ok := v.(time.Time); ok && tm.Location() != time.UTC {
					t.Errorf("%s: location %v", k, tm.Location())
				}
			}
		})
	}
}

func bigU64() *big.Int { return new(big.Int).SetUint64(math.MaxUint64) }

func TestMsgpackUnmarshalErrors(t *testing.T) {
	deep := strings.Repeat("91", MaxDepth) + "c0"
	tests := []struct {
		name string
		hex  string
		err  error
	}{
		{"empty", "", ErrSyntax},
		{"trailing bytes", "80c0", ErrSyntax},
		{"json text", hexOf(`{"a":1}`), ErrSyntax},
		{"pickle", "80049500", ErrSyntax},
		{"truncated str", "81a161a5ab", ErrSyntax},
		{"truncated map", "82a16101", ErrSyntax},
		{"huge array claim", "81a161dd7fffffff", ErrSyntax},
		{"huge map claim", "df7fffffff", ErrSyntax},
		{"never used byte", "81a161c1", ErrSyntax},
		{"invalid UTF-8 str", "81a161a1ff", ErrSyntax},
		{"bad timestamp length", "81a161d5ff0000", ErrSyntax},
		{"timestamp nanoseconds", "81a161c70cff3b9aca00" + "0000000000000000", ErrSyntax},
		{"timestamp year 10000", "81a161c70cff00000000" + "0000003afff44180", ErrSyntax},
		{"array top level", "920102", ErrNotMap},
		{"int top level", "01", ErrNotMap},
		{"int key", "8101a161", ErrUnsupportedValue},
		{"bin key", "81c401610a", ErrUnsupportedValue},
		{"ext type", "81a161d40100", ErrUnsupportedValue},
		{"ext type then garbage", "81a161d40100ff", ErrSyntax},
		{"too deep", "81a161" + deep, ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Msgpack{}.Unmarshal(mustHex(t, tt.hex))
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Format != "msgpack" {
				t.Errorf("error %#v is not a msgpack *DecodeError", err)
			}
		})
	}
}

func TestMsgpackDepthLimit(t *testing.T) {
	// MaxDepth-1 arrays under the top-level map: the deepest allowed.
	ok := "81a161" + strings.Repeat("91", MaxDepth-1) + "c0"
	if _, err := (Msgpack{}).Unmarshal(mustHex(t, ok)); err != nil {
		t.Errorf("MaxDepth containers: %v", err)
	}
	var v any = nil
	for i := 0; i < MaxDepth-1; i++ {
		v = []any{v}
	}
	if _, err := (Msgpack{}).Marshal(map[string]any{"a": v}); err != nil {
		t.Errorf("Marshal MaxDepth containers: %v", err)
	}
	if _, err := (Msgpack{}).Marshal(map[string]any{"a": []any{v}}); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Marshal MaxDepth+1 containers: %v", err)
	}
}

// Nested containers that each claim as many elements as the input could
// hold must not make the decoder reserve memory for all those claims.
func TestMsgpackClaimedSizes(t *testing.T) {
	for _, header := range []string{"deffff", "dcffff", "df0000ffff", "dd0000ffff"} {
		in := append(mustHex(t, "81a161"+strings.Repeat(header, MaxDepth-2)), make([]byte, 140000)...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Msgpack{}.Unmarshal(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: %v, want ErrSyntax", header, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%s: decoding %d bytes allocated %d MiB", header, len(in), alloc>>20)
		}
	}
}

// A decoded map is written back in the order it was read; keys deleted
// since are skipped and keys added since come last, sorted.
func TestMsgpackKeepsReadOrder(t *testing.T) {
	// {"z": 1, "a": {"y": 2, "b": 3}, "m": 4} in that order.
	in, _ := hex.DecodeString("83a17a01a16182a17902a16203a16d04")
	m, err := Msgpack{}.Unmarshal(in)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"untouched", func(map[string]any) {}, "83a17a01a16182a17902a16203a16d04"},
		{"value changed in place", func(m map[string]any) { m["z"] = int64(9) }, "83a17a09a16182a17902a16203a16d04"},
		{"key deleted, keys added", func(m map[string]any) {
			delete(m, "a")
			m["c"] = int64(5)
			m["b"] = int64(6)
		}, "84a17a09a16d04a16206a16305"},
	}
	for _, tt := range tests {
		tt.change(m)
		got, err := Msgpack{}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("%s: got %x, want %s", tt.name, got, tt.want)
		}
	}
}
