package taggedjson_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"math/big"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/taggedjson"
)

// valueGen builds random values of the decoded value model, together with
// what they must read back as.
type valueGen struct{ r *rand.Rand }

var runePool = []rune{'a', 'Z', '0', ' ', '"', '\\', '/', '<', '&', '\'', '\x00', '\x1f', '\x7f', '\b', '\t', '\n', '\f', '\r',
	'é', '€', '日', '\u2028', '\ufeff', '\uffff', '\ufffd', '😀', '\U0010ffff'}

func (g valueGen) str() string {
	var b strings.Builder
	for i, n := 0, g.r.Intn(8); i < n; i++ {
		b.WriteRune(runePool[g.r.Intn(len(runePool))])
	}
	return b.String()
}

func (g valueGen) key() string {
	switch g.r.Intn(6) {
	case 0:
		return []string{" di", " t", " b", " m", " u", " d"}[g.r.Intn(6)]
	case 1:
		return []string{"_permanent", "_flashes", "user_id", "$x", "", " x"}[g.r.Intn(6)]
	}
	return g.str()
}

// value returns a random value and its expected decoded form.
func (g valueGen) value(depth int) (v, want any) {
	n := 14
	if depth > 4 {
		n = 9 // leaves only
	}
	switch g.r.Intn(n) {
	case 0:
		return nil, nil
	case 1:
		b := g.r.Intn(2) == 0
		return b, b
	case 2:
		i := g.r.Int63() >> g.r.Intn(63)
		if g.r.Intn(2) == 0 {
			i = -i
		}
		return i, i
	case 3:
		b := new(big.Int).Lsh(big.NewInt(g.r.Int63()), uint(g.r.Intn(200)))
		if g.r.Intn(2) == 0 {
			b.Neg(b)
		}
		return b, b
	case 4:
		f := math.Float64frombits(g.r.Uint64())
		if g.r.Intn(3) == 0 {
			f = []float64{0, math.Copysign(0, -1), 1, 0.1, 1e16, 1e-5, math.Inf(1), math.Inf(-1), 5e-324}[g.r.Intn(9)]
		}
		return f, f
	case 5:
		s := g.str()
		return s, s
	case 6:
		b := make([]byte, g.r.Intn(12))
		g.r.Read(b)
		return b, b
	case 7:
		var u taggedjson.UUID
		g.r.Read(u[:])
		return u, u
	case 8:
		// Years 100-9999: Python reads years below 100 back with its
		// two-digit-year rule.
		t := time.Date(100+g.r.Intn(9900), time.Month(1+g.r.Intn(12)), 1+g.r.Intn(28),
			g.r.Intn(24), g.r.Intn(60), g.r.Intn(60), g.r.Intn(1e9), time.UTC)
		want := t.Truncate(time.Second)
		if g.r.Intn(2) == 0 && t.Year() > 100 && t.Year() < 9999 {
			t = t.In(time.FixedZone("", (g.r.Intn(48)-24)*1800))
		}
		return t, want
	case 9:
		m := taggedjson.Markup(g.str())
		return m, m
	case 10, 11:
		n := g.r.Intn(4)
		v, want := make([]any, n), make([]any, n)
		for i := range v {
			v[i], want[i] = g.value(depth + 1)
		}
		if g.r.Intn(2) == 0 {
			return taggedjson.Tuple(v), taggedjson.Tuple(want)
		}
		return v, want
	default:
		return g.dict(depth + 1)
	}
}

func (g valueGen) dict(depth int) (map[string]any, map[string]any) {
	m, want := map[string]any{}, map[string]any{}
	for i, n := 0, g.r.Intn(5); i < n; i++ {
		k := g.key()
		m[k], want[k] = g.value(depth)
	}
	return m, want
}

// Random values survive Marshal then Unmarshal, and the encoding is a
// fixed point: re-encoding what was read gives the same bytes.
func TestRoundTripProperty(t *testing.T) {
	g := valueGen{rand.New(rand.NewSource(1))}
	for i := 0; i < 3000; i++ {
		v, want := g.dict(0)
		data, err := taggedjson.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		got, err := taggedjson.Unmarshal(data)
		if err != nil {
			t.Fatalf("Unmarshal(%s): %v", data, err)
		}
		if d := typedjson.Diff(got, want); d != "" {
			t.Fatalf("round trip of %s: %s", data, d)
		}
		again, err := taggedjson.Marshal(got)
		if err != nil {
			t.Fatalf("re-Marshal: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not a fixed point:\n first %s\nsecond %s", data, again)
		}
		for _, c := range data {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("output has byte %#x outside printable ASCII: %s", c, data)
			}
		}
	}
}

// FuzzUnmarshal checks that no input panics, and that anything accepted can
// be written again and reads back as the same value.
func FuzzUnmarshal(f *testing.F) {
	for _, p := range loadVectors(f).Positive {
		f.Add([]byte(p.PayloadJSON))
	}
	for _, s := range []string{
		`{}`, `{"a":[1,2.5,"x",null,true,NaN,-Infinity]}`, `{" t":"abc"}`, `{" di":{" di__":{" t":[]}}}`,
		`{" d":"Sunday, 06-Nov-94 08:49:37 +0530"}`, `{" u":"urn:uuid:{12345678-1234-5678-9abc-def012345678}"}`,
		`{" b":"QU=JD"}`, `{" m":[1,"it's",{" b":"Jw=="}]}`, `{"a":{" u":"bad"},"a":1}`, `{"x":"\ud83d\ude00\ud83d"}`,
		`{" t":{"b":1,"a":2,"b":3}}`, `{"n":123456789012345678901234567890}`,
	} {
		f.Add([]byte(s))
	}
	// Tag-rich inputs that Flask was run on.
	if p, err := readPydiff(); err == nil {
		for i, c := range p.Decode {
			if i%4 == 0 {
				if raw, err := base64.StdEncoding.DecodeString(c.InputB64); err == nil {
					f.Add(raw)
				}
			}
		}
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := taggedjson.UnmarshalValue(data)
		if err != nil {
			var de *taggedjson.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError: %v", err, err)
			}
			return
		}
		out, err := taggedjson.AppendValue(nil, v)
		if err != nil {
			// Python fails the same way: a datetime that left years
			// 1-9999 when converted to UTC, or nesting grown by
			// untagging (a " t" over a string becomes a list) at the limit.
			if errors.Is(err, taggedjson.ErrUnsupportedValue) || errors.Is(err, taggedjson.ErrTooDeep) {
				return
			}
			t.Fatalf("decoded %#v but cannot encode it: %v", v, err)
		}
		back, err := taggedjson.UnmarshalValue(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if hasEarlyYear(v) {
			return // written as year 00xx, read back by the two-digit-year rule
		}
		if d := typedjson.Diff(back, v); d != "" {
			t.Fatalf("%q decoded, encoded as %s, decoded differently: %s", data, out, d)
		}
	})
}

func hasEarlyYear(v any) bool {
	switch x := v.(type) {
	case time.Time:
		return x.Year() < 100
	case []any:
		for _, e := range x {
			if hasEarlyYear(e) {
				return true
			}
		}
	case taggedjson.Tuple:
		return hasEarlyYear([]any(x))
	case map[string]any:
		for _, e := range x {
			if hasEarlyYear(e) {
				return true
			}
		}
	}
	return false
}

func FuzzParseUUID(f *testing.F) {
	for _, s := range []string{"12345678123456789abcdef012345678", "urn:uuid:{12345678-1234-5678-9ABC-DEF012345678}",
		"0x345678123456789abcdef012345678", " 2345678123456789abcdef01234567 ", "\u0661234567812345678123456781234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := taggedjson.ParseUUID(s)
		if err != nil {
			return
		}
		back, err := taggedjson.ParseUUID(u.String())
		if err != nil || back != u {
			t.Fatalf("ParseUUID(%q) = %v, but its String does not parse back: %v, %v", s, u, back, err)
		}
	})
}
