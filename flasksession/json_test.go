package flasksession

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func TestJSONMarshalEncodings(t *testing.T) {
	big64, _ := new(big.Int).SetString("18446744073709551616", 10)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"null", nil, `null`},
		{"bools", []any{true, false}, `[true,false]`},
		{"int", int64(-42), `-42`},
		{"2**64 (msgspec JSON writes it)", big64, `18446744073709551616`},
		{"float stays float", 1.0, `1.0`},
		{"float", 0.1, `0.1`},
		{"nan is null, as in msgspec", math.NaN(), `null`},
		{"inf is null", math.Inf(1), `null`},
		{"bytes are base64", []byte{0, 0xff}, `"AP8="`},
		{"time UTC", time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), `"2024-01-02T02:04:05Z"`},
		{"time micros", time.Date(2024, 1, 2, 3, 4, 5, 1500, time.UTC), `"2024-01-02T03:04:05.000001Z"`},
		{"non-ASCII raw", "héllo ☃ 😀", `"héllo ☃ 😀"`},
		{"escapes", "a\"b\\c\n\x01<>&", `"a\"b\\c\n\u0001<>&"`},
		{"tuple", taggedjson.Tuple{int64(1), "a"}, `[1,"a"]`},
		{"markup is str", taggedjson.Markup("<b>"), `"<b>"`},
		{"fresh map sorted", map[string]any{"b": int64(2), "a": int64(1)}, `{"a":1,"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON{}.Marshal(map[string]any{"v": tt.in})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"v":` + tt.want + `}`; string(got) != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestJSONMarshalErrors(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 20000)
	tests := []struct {
		name string
		in   any
		want error
	}{
		{"int beyond 4300 digits", huge, ErrUnsupportedValue},
		{"invalid UTF-8", "\xff", ErrUnsupportedValue},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), ErrUnsupportedValue},
		{"channel", make(chan int), ErrUnsupportedType},
	}
	for _, tt := range tests {
		if _, err := (JSON{}).Marshal(map[string]any{"v": tt.in}); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Flask-Session 0.8's own JSON record is rewritten byte for byte, and a
// changed session keeps Flask's key order with the new key last.
func TestJSONRewriteVector(t *testing.T) {
	v := loadVectors(t)
	found := false
	for _, r := range v.Msgspec.Records {
		if r.StoredB64 == nil || r.Config["format"] != "json" {
			continue
		}
		found = true
		data := b64(t, *r.StoredB64)
		m, err := JSON{}.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := JSON{}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: rewrite\n got %s\nwant %s", r.ID, got, data)
		}
		m["added"] = "é"
		got, _ = JSON{}.Marshal(m)
		want := append(bytes.TrimSuffix(bytes.Clone(data), []byte("}")), `,"added":"é"}`...)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: with a new key\n got %s\nwant %s", r.ID, got, want)
		}
		// Chain configured to write JSON reads its own output.
		back, err := Chain{Write: JSON{}}.Unmarshal(got)
		if err != nil || back["added"] != "é" {
			t.Errorf("Chain read back: %v %v", back, err)
		}
	}
	if !found {
		t.Fatal("no JSON-format record in the vectors")
	}
}
