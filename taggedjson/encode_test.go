package taggedjson_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func encodeOne(t *testing.T, v any) string {
	t.Helper()
	b, err := taggedjson.AppendValue(nil, v)
	if err != nil {
		t.Fatalf("AppendValue(%#v): %v", v, err)
	}
	return string(b)
}

// Python: json.dumps(s, ensure_ascii=True).
func TestEncodeStringEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain ASCII ~", `"plain ASCII ~"`},
		{`quote" backslash\`, `"quote\" backslash\\"`},
		{"/ < > & '", `"/ < > & '"`},
		{"\b\t\n\f\r", `"\b\t\n\f\r"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\x0b", `"\u000b"`},
		{"\x7f", `"\u007f"`},
		{"é", `"\u00e9"`},
		{"\u0080\u00ff", `"\u0080\u00ff"`},
		{"€日本", `"\u20ac\u65e5\u672c"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"\ufeff\uffff", `"\ufeff\uffff"`},
		{"👍", `"\ud83d\udc4d"`},
		{"\U00010000\U0010ffff", `"\ud800\udc00\udbff\udfff"`},
		{"a\xffb", `"a\ufffdb"`},                 // invalid UTF-8 byte
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // encoded surrogate: three bad bytes
	}
	for _, tc := range tests {
		if got := encodeOne(t, tc.in); got != tc.want {
			t.Errorf("encode %q = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Python: repr(float) via json.dumps.
func TestEncodeFloats(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{0.0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1.0, "1.0"},
		{-2.25, "-2.25"},
		{100.0, "100.0"},
		{0.1, "0.1"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{0.00012345, "0.00012345"},
		{1e15, "1000000000000000.0"},
		{9999999999999998.0, "9999999999999998.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{123456789012345678.0, "1.2345678901234568e+17"},
		{1e22, "1e+22"},
		{1e100, "1e+100"},
		{1e-100, "1e-100"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{3.141592653589793, "3.141592653589793"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{float32(0.1), "0.1"},
		{float32(1), "1.0"},
		{float32(1e20), "1e+20"},
		{float32(math.Inf(-1)), "-Infinity"},
	}
	for _, tc := range tests {
		if got := encodeOne(t, tc.in); got != tc.want {
			t.Errorf("encode %v (%T) = %s, want %s", tc.in, tc.in, got, tc.want)
		}
	}
}

func TestEncodeIntegers(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	tests := []struct {
		in   any
		want string
	}{
		{0, "0"},
		{int8(-128), "-128"},
		{int16(-32768), "-32768"},
		{int32(math.MinInt32), "-2147483648"},
		{int64(math.MinInt64), "-9223372036854775808"},
		{uint8(255), "255"},
		{uint16(65535), "65535"},
		{uint32(math.MaxUint32), "4294967295"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{uint(7), "7"},
		{big.NewInt(42), "42"},
		{huge, "-123456789012345678901234567890"},
		{*huge, "-123456789012345678901234567890"},
		{(*big.Int)(nil), "null"},
		{json.Number("18446744073709551616"), "18446744073709551616"},
		{json.Number("-0"), "0"},
		{json.Number("1.50"), "1.5"},
		{json.Number("1e2"), "100.0"},
		{json.Number("1e400"), "Infinity"},
		{true, "true"},
		{false, "false"},
		{nil, "null"},
	}
	for _, tc := range tests {
		if got := encodeOne(t, tc.in); got != tc.want {
			t.Errorf("encode %v (%T) = %s, want %s", tc.in, tc.in, got, tc.want)
		}
	}
	for _, bad := range []json.Number{"", "01", "1.", ".5", "+1", "1e", "0x10", "NaN"} {
		if _, err := taggedjson.AppendValue(nil, bad); !errors.Is(err, taggedjson.ErrUnsupportedValue) {
			t.Errorf("json.Number(%q): error %v, want ErrUnsupportedValue", bad, err)
		}
	}
	// Python refuses str() of ints over 4300 digits, so json.dumps fails.
	ok, _ := new(big.Int).SetString(strings.Repeat("9", 4300), 10)
	if got := encodeOne(t, ok); len(got) != 4300 {
		t.Errorf("4300-digit int encoded to %d bytes", len(got))
	}
	tooBig, _ := new(big.Int).SetString("-"+strings.Repeat("9", 4301), 10)
	if _, err := taggedjson.AppendValue(nil, tooBig); !errors.Is(err, taggedjson.ErrUnsupportedValue) {
		t.Errorf("4301-digit int: error %v, want ErrUnsupportedValue", err)
	}
}

func TestEncodeTags(t *testing.T) {
	u := taggedjson.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78}
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"tuple", taggedjson.Tuple{1, "two", 3.0}, `{" t":[1,"two",3.0]}`},
		{"empty tuple", taggedjson.Tuple{}, `{" t":[]}`},
		{"nil tuple", taggedjson.Tuple(nil), `{" t":[]}`},
		{"nested tuple", []any{taggedjson.Tuple{1, 2}, []any{3, taggedjson.Tuple{"x"}}}, `[{" t":[1,2]},[3,{" t":["x"]}]]`},
		{"bytes", []byte("\x00\x01\xfb\xff binary ~~~?>"), `{" b":"AAH7/yBiaW5hcnkgfn5+Pz4="}`},
		{"empty bytes", []byte{}, `{" b":""}`},
		{"nil bytes", []byte(nil), `{" b":""}`},
		{"markup", taggedjson.Markup("<b>bold</b> &amp; more"), `{" m":"<b>bold</b> &amp; more"}`},
		{"uuid", u, `{" u":"12345678123456789abcdef012345678"}`},
		{"time utc", time.Date(2024, 2, 29, 13, 45, 30, 123456789, time.UTC), `{" d":"Thu, 29 Feb 2024 13:45:30 GMT"}`},
		{"time offset", time.Date(2024, 1, 1, 1, 30, 0, 0, ist), `{" d":"Sun, 31 Dec 2023 20:00:00 GMT"}`},
		{"time year 5", time.Date(5, 3, 1, 0, 0, 0, 0, time.UTC), `{" d":"Tue, 01 Mar 0005 00:00:00 GMT"}`},
		{"time before 1970 with fraction", time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), `{" d":"Wed, 31 Dec 1969 23:59:59 GMT"}`},
		{"escape nested", map[string]any{"wrap": map[string]any{" t": "not a tuple"}}, `{"wrap":{" di":{" t__":"not a tuple"}}}`},
		{"escape di", map[string]any{"x": map[string]any{" di": []any{1, 2}}}, `{"x":{" di":{" di__":[1,2]}}}`},
		{"escape at value level", map[string]any{" u": 1}, `{" di":{" u__":1}}`},
		{"escape typed map", map[string]string{" m": "x"}, `{" di":{" m__":"x"}}`},
		{"escape reflected map", map[string]float32{" d": 1}, `{" di":{" d__":1.0}}`},
		{"escape escapes value", map[string]any{" b": map[string]any{" t": taggedjson.Tuple{}}}, `{" di":{" b__":{" di":{" t__":{" t":[]}}}}}`},
		{"two tag keys", map[string]any{" t": 1, " b": 2}, `{" b":2," t":1}`},
		{"tag-like key not alone", map[string]any{" t": 1, "other": 2}, `{" t":1,"other":2}`},
		{"similar key", map[string]any{" tt": 1}, `{" tt":1}`},
		{"flashes", map[string]any{"_flashes": []any{taggedjson.Tuple{"message", "Welcome back!"}, taggedjson.Tuple{"warning", "Disk almost full"}}},
			`{"_flashes":[{" t":["message","Welcome back!"]},{" t":["warning","Disk almost full"]}]}`},
		{"nil map", map[string]any(nil), `null`},
		{"nil list", []any(nil), `null`},
		{"empty containers", map[string]any{"d": map[string]any{}, "l": []any{}}, `{"d":{},"l":[]}`},
	}
	for _, tc := range tests {
		if got := encodeOne(t, tc.in); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestMarshalTopLevel(t *testing.T) {
	tests := []struct {
		in   map[string]any
		want string
	}{
		{nil, `{}`},
		{map[string]any{}, `{}`},
		{map[string]any{" b": "not bytes"}, `{" di":{" b__":"not bytes"}}`},
		{map[string]any{"user": "alice", "_permanent": true}, `{"_permanent":true,"user":"alice"}`},
		{map[string]any{"zz": 1, "b": 2, "a": 3, "aa": 6, "_x": 5, "B": 4, "a b": 7, "10": 8, "9": 9, "Z": 10},
			`{"10":8,"9":9,"B":4,"Z":10,"_x":5,"a":3,"a b":7,"aa":6,"b":2,"zz":1}`},
		// Code point order, not UTF-16 order: U+FFFF sorts before U+1F600.
		{map[string]any{"😀": 1, "\uffff": 2, "é": 3}, `{"\u00e9":3,"\uffff":2,"\ud83d\ude00":1}`},
	}
	for _, tc := range tests {
		got, err := taggedjson.Marshal(tc.in)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", tc.in, err)
		}
		if string(got) != tc.want {
			t.Errorf("Marshal(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// Many keys take the non-insertion-sort path.
	m := map[string]any{}
	var want strings.Builder
	want.WriteString("{")
	for c := 'a'; c <= 'z'; c++ {
		m[string(c)] = int(c)
		if c > 'a' {
			want.WriteString(",")
		}
		want.WriteString(`"` + string(c) + `":` + big.NewInt(int64(c)).String())
	}
	want.WriteString("}")
	if got, _ := taggedjson.Marshal(m); string(got) != want.String() {
		t.Errorf("26 keys: got %s", got)
	}
}

type role string

type blob []byte

type point struct {
	X       int               `json:"x"`
	Y       float64           `json:"y,omitempty"`
	Label   string            `json:"label"`
	Skipped string            `json:"-"`
	Tags    map[string]string `json:"tags,omitempty"`
	When    time.Time         `json:"when"`
	ID      taggedjson.UUID   `json:"id"`
	private int
}

type upper string

func (u upper) MarshalText() ([]byte, error) { return []byte(strings.ToUpper(string(u))), nil }

type custom struct{}

func (custom) MarshalJSON() ([]byte, error) { return []byte(`{"b":[1,2.5,"<x>"],"a":null}`), nil }

type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("boom") }

type node struct {
	Next *node
}

func TestEncodeReflection(t *testing.T) {
	n := 5
	pn := &n
	u := taggedjson.UUID{1}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"named string", role("admin"), `"admin"`},
		{"named bytes", blob("hi"), `{" b":"aGk="}`},
		{"pointer", pn, `5`},
		{"pointer to pointer", &pn, `5`},
		{"nil pointer", (*int)(nil), `null`},
		{"pointer to time", &time.Time{}, `{" d":"Mon, 01 Jan 0001 00:00:00 GMT"}`},
		{"pointer to uuid", &u, `{" u":"01000000000000000000000000000000"}`},
		{"pointer to markup", func() *taggedjson.Markup { m := taggedjson.Markup("<i>"); return &m }(), `{" m":"<i>"}`},
		{"nil pointer to time", (*time.Time)(nil), `null`},
		{"array", [3]int{1, 2, 3}, `[1,2,3]`},
		{"byte array is a list", [2]byte{1, 2}, `[1,2]`},
		{"typed slice of times", []time.Time{time.Unix(0, 0)}, `[{" d":"Thu, 01 Jan 1970 00:00:00 GMT"}]`},
		{"slice of tuples", []taggedjson.Tuple{{1}}, `[{" t":[1]}]`},
		{"map of uuids", map[string]taggedjson.UUID{"a": u, "b": u}, `{"a":{" u":"01000000000000000000000000000000"},"b":{" u":"01000000000000000000000000000000"}}`},
		{"int keys sort numerically", map[int]string{10: "a", 9: "b", -1: "c"}, `{"-1":"c","9":"b","10":"a"}`},
		{"uint keys", map[uint8]bool{200: true, 3: false}, `{"3":false,"200":true}`},
		{"any keys all ints", map[any]int{int64(-5): 1, uint(7): 2, 3: 3}, `{"-5":1,"3":3,"7":2}`},
		{"any keys all strings", map[any]int{"b": 1, "a": 2}, `{"a":2,"b":1}`},
		{"struct honours json tags", point{X: 1, Label: "<p>", Skipped: "x", When: time.Unix(0, 0).UTC(), ID: u, private: 3},
			`{"id":"01000000-0000-0000-0000-000000000000","label":"<p>","when":"1970-01-01T00:00:00Z","x":1}`},
		{"struct integral float becomes int", struct{ F float64 }{2}, `{"F":2}`},
		{"pointer to struct", &struct{ A []int }{[]int{1}}, `{"A":[1]}`},
		{"text marshaler", upper("abc"), `"ABC"`},
		{"json marshaler", custom{}, `{"a":null,"b":[1,2.5,"<x>"]}`},
		{"raw message", json.RawMessage(`{" t":[1]}`), `{" di":{" t__":[1]}}`},
		{"interface slice of structs", []any{struct{ A int }{1}}, `[{"A":1}]`},
		{"map of structs", map[string]struct{ A int }{"k": {1}}, `{"k":{"A":1}}`},
	}
	for _, tc := range tests {
		if got := encodeOne(t, tc.in); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	self := map[string]any{}
	self["me"] = self
	list := []any{nil}
	list[0] = list
	cyc := &node{}
	cyc.Next = cyc
	var selfPtr any
	selfPtr = &selfPtr
	tests := []struct {
		name     string
		in       map[string]any
		sentinel error
		path     string
	}{
		{"chan", map[string]any{"a": map[string]any{"b": []any{1, 2, make(chan int)}}}, taggedjson.ErrUnsupportedType, `["a"]["b"][2]`},
		{"func", map[string]any{"f": func() {}}, taggedjson.ErrUnsupportedType, `["f"]`},
		{"complex", map[string]any{"c": complex(1, 2)}, taggedjson.ErrUnsupportedType, `["c"]`},
		{"uintptr", map[string]any{"p": uintptr(1)}, taggedjson.ErrUnsupportedType, `["p"]`},
		{"float keys", map[string]any{"m": map[float64]int{1.5: 1}}, taggedjson.ErrUnsupportedType, `["m"]`},
		{"mixed keys", map[string]any{"m": map[any]int{"a": 1, 2: 2}}, taggedjson.ErrUnsupportedType, `["m"]`},
		{"bool keys", map[string]any{"m": map[any]int{true: 1}}, taggedjson.ErrUnsupportedType, `["m"]`},
		{"struct with chan", map[string]any{"s": struct{ C chan int }{}}, taggedjson.ErrUnsupportedType, `["s"]`},
		{"marshaler error", map[string]any{"x": []any{failing{}}}, taggedjson.ErrUnsupportedValue, `["x"][0]`},
		{"year 0", map[string]any{"t": time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)}, taggedjson.ErrUnsupportedValue, `["t"]`},
		{"year 10000", map[string]any{"t": time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -3600))}, taggedjson.ErrUnsupportedValue, `["t"]`},
		{"escaped path", map[string]any{" t": map[string]any{"k\"": func() {}}}, taggedjson.ErrUnsupportedType, `[" t"]["k\""]`},
		{"self map", self, taggedjson.ErrTooDeep, ""},
		{"self list", map[string]any{"l": list}, taggedjson.ErrTooDeep, ""},
		{"interface pointer cycle", map[string]any{"p": selfPtr}, taggedjson.ErrTooDeep, ""},
		{"pointer cycle", map[string]any{"n": cyc}, taggedjson.ErrUnsupportedValue, `["n"]`}, // encoding/json detects it
		{"repaired keys collide", map[string]any{"a\xff": 1, "a\xfe": 2}, taggedjson.ErrUnsupportedValue, "[\"a\uFFFD\"]"},
	}
	for _, tc := range tests {
		out, err := taggedjson.Marshal(tc.in)
		if !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: Marshal = %s, %v; want %v", tc.name, out, err, tc.sentinel)
			continue
		}
		var ee *taggedjson.EncodeError
		if !errors.As(err, &ee) {
			t.Errorf("%s: error %T is not an *EncodeError", tc.name, err)
			continue
		}
		if tc.path != "" && ee.Path != tc.path {
			t.Errorf("%s: Path = %s, want %s", tc.name, ee.Path, tc.path)
		}
		if tc.path != "" && !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: message %q does not name the path", tc.name, err)
		}
	}
	// AppendValue leaves dst alone on error.
	dst := []byte("prefix")
	if out, err := taggedjson.AppendValue(dst, []any{make(chan int)}); err == nil || string(out) != "prefix" {
		t.Errorf("AppendValue on error = %q, %v", out, err)
	}
}

func TestEncodeInvalidUTF8Keys(t *testing.T) {
	got, err := taggedjson.Marshal(map[string]any{"b": 1, "\xff": 2, "a": 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":3,"b":1,"\ufffd":2}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestEncodeDepthLimit(t *testing.T) {
	nest := func(n int, wrap func(any) any) map[string]any {
		var v any = 1
		for i := 0; i < n; i++ {
			v = wrap(v)
		}
		return map[string]any{"v": v}
	}
	list := func(v any) any { return []any{v} }
	tuple := func(v any) any { return taggedjson.Tuple{v} }
	// The top-level object is one level, so MaxDepth-1 lists fit exactly.
	if _, err := taggedjson.Marshal(nest(taggedjson.MaxDepth-1, list)); err != nil {
		t.Errorf("MaxDepth levels: %v", err)
	}
	if _, err := taggedjson.Marshal(nest(taggedjson.MaxDepth, list)); !errors.Is(err, taggedjson.ErrTooDeep) {
		t.Errorf("MaxDepth+1 levels: error %v, want ErrTooDeep", err)
	}
	// A tuple is two JSON levels ({" t":[...]}).
	if _, err := taggedjson.Marshal(nest((taggedjson.MaxDepth-1)/2, tuple)); err != nil {
		t.Errorf("tuples within the limit: %v", err)
	}
	if _, err := taggedjson.Marshal(nest(taggedjson.MaxDepth/2, tuple)); !errors.Is(err, taggedjson.ErrTooDeep) {
		t.Errorf("tuples beyond the limit: error %v, want ErrTooDeep", err)
	}
}
