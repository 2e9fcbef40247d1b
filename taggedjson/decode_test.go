package taggedjson_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/taggedjson"
)

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

// Python's json.loads accepts more than Flask writes (§8.3).
func TestDecodePythonDialect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"whitespace", " \t\n\r{ \"a\" :\n[ 1 ,2 ] }\r\n", map[string]any{"a": []any{int64(1), int64(2)}}},
		{"duplicate keys: last wins", `{"a":1,"b":2,"a":3}`, map[string]any{"a": int64(3), "b": int64(2)}},
		{"NaN and infinities", `[NaN,Infinity,-Infinity]`, []any{math.NaN(), math.Inf(1), math.Inf(-1)}},
		{"negative zero", `[-0,-0.0,0.0]`, []any{int64(0), math.Copysign(0, -1), 0.0}},
		{"int64 bounds", `[9223372036854775807,-9223372036854775808]`, []any{int64(math.MaxInt64), int64(math.MinInt64)}},
		{"big ints", `[9223372036854775808,-9223372036854775809,18446744073709551616]`,
			[]any{bigInt("9223372036854775808"), bigInt("-9223372036854775809"), bigInt("18446744073709551616")}},
		{"floats need . e or E", `[1.0,1e2,1E-2,2.5e+3,10]`, []any{1.0, 100.0, 0.01, 2500.0, int64(10)}},
		{"float overflow and underflow", `[1e400,-1e400,1e-400]`, []any{math.Inf(1), math.Inf(-1), 0.0}},
		{"long float", `[` + strings.Repeat("1", 5000) + `.5]`, []any{math.Inf(1)}},
		{"4300-digit int", `[` + strings.Repeat("7", 4300) + `]`, []any{bigInt(strings.Repeat("7", 4300))}},
		{"escapes", `["\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC"]`, []any{"\"\\/\b\f\n\r\tAé€"}},
		{"surrogate pair joined", `["\ud83d\udc4d"]`, []any{"👍"}},
		{"upper-case hex", `["\uD83D\uDC4D\u00C9"]`, []any{"👍É"}},
		{"lone high surrogate", `["a\ud83db"]`, []any{"a\uFFFDb"}},
		{"lone low surrogate", `["\udc4d"]`, []any{"\uFFFD"}},
		{"high then non-low escape", `["\ud83d\u0041"]`, []any{"\uFFFDA"}},
		{"two highs", `["\ud83d\ud83d\udc4d"]`, []any{"\uFFFD👍"}},
		{"raw UTF-8", `["日本 é 😀"]`, []any{"日本 é 😀"}},
		{"raw DEL and U+2028", "[\"\x7f\u2028\"]", []any{"\x7f\u2028"}},
		{"escaped NUL", `["\u0000"]`, []any{"\x00"}},
		{"empty containers", `[{},[],""]`, []any{map[string]any{}, []any{}, ""}},
		{"literals", `[true,false,null]`, []any{true, false, nil}},
		{"scalar document", `42`, int64(42)},
	}
	for _, tc := range tests {
		got, err := taggedjson.UnmarshalValue([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := typedjson.Diff(got, tc.want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
	}{
		{"empty", ``, 0},
		{"only space", `   `, 3},
		{"trailing data", `{"a":1} x`, 8},
		{"two documents", `{}{}`, 2},
		{"BOM", "\ufeff{}", 0},
		{"trailing comma in object", `{"a":1,}`, 7},
		{"trailing comma in array", `[1,]`, 3},
		{"single quotes", `{'a':1}`, 1},
		{"unquoted key", `{a:1}`, 1},
		{"missing colon", `{"a" 1}`, 5},
		{"missing comma", `[1 2]`, 3},
		{"unterminated string", `["abc`, 1},
		{"unterminated object", `{"a":1`, 6},
		{"raw control character", "[\"a\x01\"]", 3},
		{"raw newline", "[\"a\n\"]", 3},
		{"raw tab", "[\"\t\"]", 2},
		{"bad escape", `["\x"]`, 2},
		{"short unicode escape", `["\u12"]`, 2},
		{"bad hex", `["\u12g4"]`, 2},
		{"bad second half of pair", `["\ud83d\uZZZZ"]`, 8},
		{"invalid UTF-8", "[\"\xff\"]", 2},
		{"encoded surrogate", "[\"\xed\xa0\x80\"]", 2},
		{"overlong UTF-8", "[\"\xc0\xaf\"]", 2},
		{"invalid UTF-8 outside strings", "[\xff]", 1},
		{"leading zero", `[01]`, 2},
		{"leading plus", `[+1]`, 1},
		{"bare minus", `[-]`, 1},
		{"dot without digits", `[1.]`, 2},
		{"leading dot", `[.5]`, 1},
		{"exponent without digits", `[1e]`, 2},
		{"exponent sign only", `[1e+]`, 2},
		{"hex number", `[0x10]`, 2},
		{"minus NaN", `[-NaN]`, 1},
		{"lower-case literal", `[nan]`, 1},
		{"truncated literal", `[tru]`, 1},
		{"4301-digit int", `[` + strings.Repeat("1", 4301) + `]`, 1},
		{"4301-digit negative int", `[-` + strings.Repeat("1", 4301) + `]`, 1},
	}
	for _, tc := range tests {
		v, err := taggedjson.UnmarshalValue([]byte(tc.in))
		if !errors.Is(err, taggedjson.ErrSyntax) {
			t.Errorf("%s: got %#v, %v; want ErrSyntax", tc.name, v, err)
			continue
		}
		var de *taggedjson.DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %T is not a *DecodeError", tc.name, err)
		} else if de.Offset != tc.offset {
			t.Errorf("%s: offset %d, want %d (%v)", tc.name, de.Offset, tc.offset, err)
		}
	}
}

func TestUnmarshalNeedsObject(t *testing.T) {
	for _, in := range []string{`[1]`, `"s"`, `1`, `null`, `{" t":[1]}`, `{" b":""}`} {
		_, err := taggedjson.Unmarshal([]byte(in))
		if !errors.Is(err, taggedjson.ErrNotObject) {
			t.Errorf("Unmarshal(%s): error %v, want ErrNotObject", in, err)
		}
	}
	m, err := taggedjson.Unmarshal([]byte(`{" di":{" b__":"not bytes"}}`))
	if err != nil || m[" b"] != "not bytes" || len(m) != 1 {
		t.Errorf(`escaped top level: %#v, %v`, m, err)
	}
}

func TestDecodeTags(t *testing.T) {
	u := taggedjson.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78}
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"tuple", `{" t":[1,"two",3.0]}`, taggedjson.Tuple{int64(1), "two", 3.0}},
		{"empty tuple", `{" t":[]}`, taggedjson.Tuple{}},
		{"tuple of a string", `{" t":"h\u00e9\ud83d\ude00"}`, taggedjson.Tuple{"h", "é", "😀"}},
		{"tuple of bytes", `{" t":{" b":"AAEC"}}`, taggedjson.Tuple{int64(0), int64(1), int64(2)}},
		{"tuple of a dict lists keys in order", `{" t":{"b":1,"a":2,"b":3}}`, taggedjson.Tuple{"b", "a"}},
		{"tuple of a one-key dict", `{" t":{"x":1}}`, taggedjson.Tuple{"x"}},
		{"tuple of a tuple", `{" t":{" t":[1]}}`, taggedjson.Tuple{int64(1)}},
		{"tuple of markup", `{" t":{" m":"ab"}}`, taggedjson.Tuple{"a", "b"}},
		{"bytes", `{" b":"AAH7/yBiaW5hcnkgfn5+Pz4="}`, []byte("\x00\x01\xfb\xff binary ~~~?>")},
		{"empty bytes", `{" b":""}`, []byte{}},
		{"lenient bytes", `{" b":"QU JD!\n"}`, []byte("ABC")},
		{"bytes of bytes", `{" b":{" b":"UVVKRA=="}}`, []byte("ABC")},
		{"bytes of markup", `{" b":{" m":"QUJD"}}`, []byte("ABC")},
		{"markup", `{" m":"<b>x</b>"}`, taggedjson.Markup("<b>x</b>")},
		{"markup of int", `{" m":5}`, taggedjson.Markup("5")},
		{"markup of float", `{" m":1e16}`, taggedjson.Markup("1e+16")},
		{"markup of inf", `{" m":-Infinity}`, taggedjson.Markup("-inf")},
		{"markup of bool", `{" m":true}`, taggedjson.Markup("True")},
		{"markup of null", `{" m":null}`, taggedjson.Markup("None")},
		{"markup of uuid", `{" m":{" u":"12345678123456789abcdef012345678"}}`, taggedjson.Markup("12345678-1234-5678-9abc-def012345678")},
		{"markup of list", `{" m":[1,"it's",[],{" t":["a"]},{" b":"Jw=="},{" m":"x"},{},{"k":null},{" u":"12345678123456789abcdef012345678"},0.5]}`,
			taggedjson.Markup(`[1, "it's", [], ('a',), b"'", Markup('x'), {}, {'k': None}, UUID('12345678-1234-5678-9abc-def012345678'), 0.5]`)},
		{"markup of string escapes", `{" m":[" \\ \t\n\r\u0007\u00e9\u00a0\u2028\ud83d\ude00\"'"]}`,
			taggedjson.Markup(`[' \\ \t\n\r\x07é\xa0\u2028😀"\'']`)},
		{"uuid", `{" u":"12345678123456789abcdef012345678"}`, u},
		{"uuid hyphens braces urn", `{" u":"urn:uuid:{12345678-1234-5678-9ABC-DEF012345678}"}`, u},
		{"uuid of markup", `{" u":{" m":"12345678123456789abcdef012345678"}}`, u},
		{"datetime", `{" d":"Thu, 29 Feb 2024 13:45:30 GMT"}`, time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC)},
		{"datetime offset", `{" d":"Thu, 29 Feb 2024 13:45:30 +0100"}`, time.Date(2024, 2, 29, 12, 45, 30, 0, time.UTC)},
		{"datetime two-digit year rule", `{" d":"Mon, 01 Jan 0001 00:00:00 GMT"}`, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"unparseable datetime is None", `{" d":"not a date"}`, nil},
		{"invalid datetime is None", `{" d":"Thu, 30 Feb 2024 00:00:00 GMT"}`, nil},
		{"datetime of null", `{" d":null}`, nil},
		{"datetime of falsy values", `[{" d":0},{" d":0.0},{" d":false},{" d":[]},{" d":{}},{" d":""},{" d":{" t":[]}},{" d":{" b":"eA=="}}]`,
			[]any{nil, nil, nil, nil, nil, nil, nil, nil}},
		{"di strips two characters", `{" di":{" t__":"not a tuple"}}`, map[string]any{" t": "not a tuple"}},
		{"di does not check the suffix", `{" di":{"abcd":1}}`, map[string]any{"ab": int64(1)}},
		{"di counts code points", `{" di":{"x\u00e9\ud83d\ude00":1}}`, map[string]any{"x": int64(1)}},
		{"di of short key", `{" di":{"a":1}}`, map[string]any{"": int64(1)}},
		{"di keeps only the first key", `{" di":{"a__":1,"b__":2,"a__":3}}`, map[string]any{"a": int64(3)}},
		{"di of di", `{" di":{" di":{"abc__":1}}}`, map[string]any{"a": int64(1)}},
		{"di value is untagged first", `{" di":{" b__":{" t":[1]}}}`, map[string]any{" b": taggedjson.Tuple{int64(1)}}},
		{"tag-like key not alone", `{" t":1,"other":2}`, map[string]any{" t": int64(1), "other": int64(2)}},
		{"duplicate tag keys collapse to one", `{" t":[1]," t":[2]}`, taggedjson.Tuple{int64(2)}},
		{"many repeats of a tag key", `{` + strings.Repeat(`" t":[0],`, 12) + `" t":[1]}`, taggedjson.Tuple{int64(1)}},
		{"many keys", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":0}`, map[string]any{"a": int64(0), "b": int64(2), "c": int64(3), "d": int64(4), "e": int64(5), "f": int64(6), "g": int64(7), "h": int64(8), "i": int64(9), "j": int64(10)}},
		{"unknown space key", `{" x":1}`, map[string]any{" x": int64(1)}},
		{"nested", `{"l":[{" t":[1,2]},[3,{" t":["x"]}]]}`, map[string]any{"l": []any{taggedjson.Tuple{int64(1), int64(2)}, []any{int64(3), taggedjson.Tuple{"x"}}}}},
		// Flask ≥ 3.0.1 untags after parsing: a bad tag that a duplicate
		// key replaces is never looked at.
		{"replaced bad tag", `{"a":{" u":"bad"},"a":1}`, map[string]any{"a": int64(1)}},
		{"replaced bad tag inside list", `{"a":[{" d":5}],"a":2}`, map[string]any{"a": int64(2)}},
	}
	for _, tc := range tests {
		got, err := taggedjson.UnmarshalValue([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := typedjson.Diff(got, tc.want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
}

func TestDecodeTagErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
	}{
		{"bad uuid", `{"x":{" u":"12345"}}`, 5},
		{"uuid not text", `{" u":5}`, 0},
		{"bad base64 padding", `{" b":"QQ"}`, 0},
		{"base64 one char too many", `{" b":"QUJDR"}`, 0},
		{"non-ASCII base64", `{" b":"QUJD\u00e9"}`, 0},
		{"base64 of number", `{" b":1}`, 0},
		{"tuple of number", `{" t":1}`, 0},
		{"tuple of null", `{" t":null}`, 0},
		{"tuple of uuid", `{" t":{" u":"12345678123456789abcdef012345678"}}`, 0},
		{"empty di", `{" di":{}}`, 0},
		{"di of list", `{" di":[]}`, 0},
		{"di of tuple", `{" di":{" t":["a"]}}`, 0},
		{"datetime of number", `{" d":1}`, 0},
		{"datetime of list", `{" d":[1]}`, 0},
		{"datetime overflow", `{" d":"Mon, 01 Jan 99999999999 12:00:00 GMT"}`, 0},
		{"markup of datetime", `{" m":{" d":"Mon, 01 Jan 2024 00:00:00 GMT"}}`, 0},
		{"markup of dict", `{" m":{"a":1,"b":2}}`, 0},
		{"error in list survives", `[1,{" u":""},2]`, 3},
		{"error in surviving key", `{"a":{" u":""},"b":1}`, 5},
	}
	for _, tc := range tests {
		v, err := taggedjson.UnmarshalValue([]byte(tc.in))
		if !errors.Is(err, taggedjson.ErrInvalidTag) {
			t.Errorf("%s: got %#v, %v; want ErrInvalidTag", tc.name, v, err)
			continue
		}
		var de *taggedjson.DecodeError
		if errors.As(err, &de) && de.Offset != tc.offset {
			t.Errorf("%s: offset %d, want %d", tc.name, de.Offset, tc.offset)
		}
	}
	// A syntax error later in the document wins over a tag error.
	if _, err := taggedjson.UnmarshalValue([]byte(`[{" u":""}, x]`)); !errors.Is(err, taggedjson.ErrSyntax) {
		t.Errorf("syntax after tag error: %v, want ErrSyntax", err)
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
	}
	if _, err := taggedjson.Unmarshal(deep(taggedjson.MaxDepth)); err != nil {
		t.Errorf("MaxDepth objects: %v", err)
	}
	if _, err := taggedjson.Unmarshal(deep(taggedjson.MaxDepth + 1)); !errors.Is(err, taggedjson.ErrTooDeep) {
		t.Errorf("MaxDepth+1 objects: %v, want ErrTooDeep", err)
	}
	// Far deeper input fails quickly without exhausting the stack.
	huge := []byte(strings.Repeat("[", 1_000_000))
	if _, err := taggedjson.UnmarshalValue(huge); !errors.Is(err, taggedjson.ErrTooDeep) {
		t.Errorf("a million brackets: %v, want ErrTooDeep", err)
	}
}

// Decoded strings never alias the caller's buffer.
func TestDecodeCopiesInput(t *testing.T) {
	in := []byte(`{"k":"value"}`)
	m, err := taggedjson.Unmarshal(in)
	if err != nil {
		t.Fatal(err)
	}
	copy(in, "XXXXXXXXXXXXX")
	if m["k"] != "value" {
		t.Fatalf("decoded value changed with the input buffer: %q", m["k"])
	}
}
