package typedjson_test

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/vectors"
	"github.com/flaskgo/session/taggedjson"
	"github.com/flaskgo/session/typedjson"
)

func TestToGo(t *testing.T) {
	u, _ := taggedjson.ParseUUID("12345678-1234-5678-9abc-def012345678")
	big64, _ := new(big.Int).SetString("18446744073709551616", 10)
	tests := []struct {
		typed string
		want  any
	}{
		{`null`, nil},
		{`"s"`, "s"},
		{`42`, int64(42)},
		{`{"$int":"18446744073709551616"}`, big64},
		{`{"$int":"-5"}`, int64(-5)},
		{`{"$float":"1.0"}`, 1.0},
		{`{"$float":"-0.0"}`, math.Copysign(0, -1)},
		{`{"$float":"inf"}`, math.Inf(1)},
		{`{"$float":"-inf"}`, math.Inf(-1)},
		{`{"$float":"nan"}`, math.NaN()},
		{`{"$tuple":[1,{"$tuple":[]}]}`, taggedjson.Tuple{int64(1), taggedjson.Tuple{}}},
		{`{"$bytes":"AAE="}`, []byte{0, 1}},
		{`{"$uuid":"12345678-1234-5678-9abc-def012345678"}`, u},
		{`{"$markup":"<b>"}`, taggedjson.Markup("<b>")},
		{`{"$datetime":"2024-02-29T13:45:30.123456"}`, time.Date(2024, 2, 29, 13, 45, 30, 123456000, time.UTC)},
		{`{"$datetime":"2024-01-01T01:30:00+05:30"}`, time.Date(2023, 12, 31, 20, 0, 0, 0, time.UTC)},
		{`{"$datetime":"1999-12-31T23:59:59Z"}`, time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{`{"$dict":{"$x":1}}`, map[string]any{"$x": int64(1)}},
		{`{"$dict":[["a",1],["b",{"$tuple":[]}]]}`, map[string]any{"a": int64(1), "b": taggedjson.Tuple{}}},
		{`{"a":[1,{"$float":"0.5"}],"$b":2}`, map[string]any{"a": []any{int64(1), 0.5}, "$b": int64(2)}},
	}
	for _, tc := range tests {
		var v any
		dec := json.NewDecoder(strings.NewReader(tc.typed))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		got, err := typedjson.ToGo(v)
		if err != nil {
			t.Errorf("typedjson.ToGo(%s): %v", tc.typed, err)
			continue
		}
		if d := typedjson.Diff(got, tc.want); d != "" {
			t.Errorf("typedjson.ToGo(%s): %s", tc.typed, d)
		}
	}
	for _, bad := range []string{`{"$int":"x"}`, `{"$float":"x"}`, `{"$tuple":1}`, `{"$bytes":"!"}`, `{"$uuid":"x"}`,
		`{"$datetime":"yesterday"}`, `{"$set":[1]}`, `{"$dict":[[1,2]]}`, `{"$markup":1}`} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if got, err := typedjson.ToGo(v); err == nil {
			t.Errorf("typedjson.ToGo(%s) = %#v, want error", bad, got)
		}
	}
}

func TestFromGo(t *testing.T) {
	u, _ := taggedjson.ParseUUID("12345678-1234-5678-9abc-def012345678")
	big64, _ := new(big.Int).SetString("-18446744073709551616", 10)
	in := map[string]any{
		"i": int64(1<<53 - 1), "big": int64(1 << 53), "huge": big64, "f": 1.0, "nan": math.NaN(), "inf": math.Inf(-1),
		"t": taggedjson.Tuple{"a"}, "b": []byte{0, 1}, "u": u, "m": taggedjson.Markup("<b>"),
		"d":  time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC),
		"dz": time.Date(2024, 1, 1, 1, 30, 0, 500000000, time.FixedZone("", 5*3600+1800)),
		"$":  map[string]any{"$x": nil}, "l": []any{true, "s"},
		"other": map[string]string{"k": "v"},
	}
	got, err := json.Marshal(typedjson.FromGo(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"$":{"$dict":{"$x":null}},"b":{"$bytes":"AAE="},"big":{"$int":"9007199254740992"},"d":{"$datetime":"2024-02-29T13:45:30Z"},` +
		`"dz":{"$datetime":"2024-01-01T01:30:00.500000+05:30"},"f":{"$float":"1.0"},"huge":{"$int":"-18446744073709551616"},` +
		`"i":9007199254740991,"inf":{"$float":"-inf"},"l":[true,"s"],"m":{"$markup":"\u003cb\u003e"},"nan":{"$float":"nan"},` +
		`"other":{"k":"v"},"t":{"$tuple":["a"]},"u":{"$uuid":"12345678-1234-5678-9abc-def012345678"}}`
	if string(got) != want {
		t.Errorf("FromGo:\n got %s\nwant %s", got, want)
	}
	// And back again.
	var v any
	dec := json.NewDecoder(strings.NewReader(string(got)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	back, err := typedjson.ToGo(v)
	if err != nil {
		t.Fatal(err)
	}
	in["other"] = map[string]any{"k": "v"}
	if d := typedjson.Diff(back, in); d != "" {
		t.Errorf("typedjson.ToGo(typedjson.FromGo(x)) != x: %s", d)
	}
	if u := typedjson.FromGo(make(chan int)); !strings.Contains(string(mustJSON(t, u)), "$unsupported") {
		t.Errorf("typedjson.FromGo(chan) = %v", u)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The typed form of every decoded vector survives ToGo then FromGo.
func TestTypedRoundTripOnVectors(t *testing.T) {
	v, err := vectors.Load("../testdata/flask-cookies.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Positive {
		g, err := typedjson.ToGo(p.Decoded)
		if err != nil {
			t.Fatal(err)
		}
		again, err := typedjson.ToGo(roundTripJSON(t, typedjson.FromGo(g)))
		if err != nil {
			t.Fatal(err)
		}
		if d := typedjson.Diff(again, g); d != "" {
			t.Errorf("%s: %s", p.Name, d)
		}
	}
}

func roundTripJSON(t *testing.T, v any) any {
	dec := json.NewDecoder(strings.NewReader(string(mustJSON(t, v))))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDiff(t *testing.T) {
	equal := [][2]any{
		{1, int64(1)},
		{big.NewInt(7), int64(7)},
		{math.NaN(), math.NaN()},
		{[]any(nil), []any{}},
		{time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("", 3600)), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{map[string]any{"a": []any{taggedjson.Tuple{}}}, map[string]any{"a": []any{taggedjson.Tuple{}}}},
	}
	for _, p := range equal {
		if d := typedjson.Diff(p[0], p[1]); d != "" {
			t.Errorf("typedjson.Diff(%#v, %#v) = %s, want equal", p[0], p[1], d)
		}
	}
	different := [][2]any{
		{1, 2},
		{1, 1.0},
		{0.0, math.Copysign(0, -1)},
		{"a", taggedjson.Markup("a")},
		{[]any{1}, taggedjson.Tuple{1}},
		{[]byte{1}, []byte{2}},
		{map[string]any{"a": 1}, map[string]any{"b": 1}},
		{map[string]any{"a": map[string]any{"b": 1}}, map[string]any{"a": map[string]any{"b": 2}}},
		{nil, false},
	}
	for _, p := range different {
		if typedjson.Diff(p[0], p[1]) == "" {
			t.Errorf("typedjson.Diff(%#v, %#v) = equal", p[0], p[1])
		}
	}
	if d := typedjson.Diff(map[string]any{"a": []any{1, 2}}, map[string]any{"a": []any{1, 3}}); !strings.Contains(d, `["a"][1]`) {
		t.Errorf("Diff does not name the path: %s", d)
	}
}
