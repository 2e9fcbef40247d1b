package flasksession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session/taggedjson"
)

// systemPython is Debian's interpreter, which has Flask, markupsafe and
// (when python3-msgpack is installed) msgpack; the python3 on PATH may not.
const systemPython = "/usr/bin/python3"

// decodeJSON reads JSON with exact numbers.
func decodeJSON(t testing.TB, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding JSON: %v", err)
	}
}

// fromTyped converts the typed JSON of the vector files to Go session
// values, as this package maps Python's: tuples to Tuple, sets to []any,
// naive datetimes to UTC, dates to "YYYY-MM-DD". With ordered, dicts
// become *orderedMap in their recorded order.
func fromTyped(v any, ordered bool) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		b, ok := new(big.Int).SetString(string(x), 10)
		if !ok {
			return nil, fmt.Errorf("bad integer %s", x)
		}
		return b, nil
	case []any:
		return listFromTyped(x, ordered)
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("typed object with %d keys", len(x))
		}
		for k, inner := range x {
			return markerFromTyped(k, inner, ordered)
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

func listFromTyped(x []any, ordered bool) ([]any, error) {
	out := make([]any, len(x))
	for i, e := range x {
		g, err := fromTyped(e, ordered)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

func markerFromTyped(k string, inner any, ordered bool) (any, error) {
	s, _ := inner.(string)
	switch k {
	case "$float":
		switch s {
		case "inf":
			return math.Inf(1), nil
		case "-inf":
			return math.Inf(-1), nil
		case "nan":
			return math.NaN(), nil
		}
		return strconv.ParseFloat(s, 64)
	case "$int":
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, fmt.Errorf("bad $int %q", s)
		}
		return b, nil
	case "$bytes":
		return base64.StdEncoding.DecodeString(s)
	case "$tuple":
		l, err := listFromTyped(inner.([]any), ordered)
		return taggedjson.Tuple(l), err
	case "$set":
		return listFromTyped(inner.([]any), ordered)
	case "$date":
		return s, nil
	case "$uuid":
		return taggedjson.ParseUUID(s)
	case "$markup":
		return taggedjson.Markup(s), nil
	case "$datetime":
		if t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s); err == nil {
			if _, off := t.Zone(); off == 0 {
				t = t.UTC()
			}
			return t, nil
		}
		return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
	case "$dict":
		pairs := inner.([]any)
		om := &orderedMap{m: make(map[string]any, len(pairs))}
		for _, p := range pairs {
			pair := p.([]any)
			key, ok := pair[0].(string)
			if !ok {
				return nil, fmt.Errorf("non-string key %v", pair[0])
			}
			g, err := fromTyped(pair[1], ordered)
			if err != nil {
				return nil, err
			}
			if _, dup := om.m[key]; !dup {
				om.keys = append(om.keys, key)
			}
			om.m[key] = g
		}
		if ordered {
			return om, nil
		}
		return om.m, nil
	}
	return nil, fmt.Errorf("unknown marker %q", k)
}

// mustTyped is fromTyped for test data that must convert.
func mustTyped(t testing.TB, v any, ordered bool) any {
	t.Helper()
	g, err := fromTyped(v, ordered)
	if err != nil {
		t.Fatalf("typed value: %v", err)
	}
	return g
}

// plain turns *orderedMap back into map[string]any, deeply.
func plain(v any) any {
	switch x := v.(type) {
	case *orderedMap:
		out := make(map[string]any, len(x.m))
		for k, e := range x.m {
			out[k] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case taggedjson.Tuple:
		return taggedjson.Tuple(plain([]any(x)).([]any))
	}
	return v
}

// diff compares session values (ints by value, floats by bits, times as
// instants, tuples distinct from lists).
func diff(want, got any) string { return typedjson.Diff(plain(want), plain(got)) }

// asMsgpackSees is what a value becomes after a MessagePack round trip:
// tuples are arrays, UUIDs and Markup strings, times UTC.
func asMsgpackSees(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = asMsgpackSees(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = asMsgpackSees(e)
		}
		return out
	case taggedjson.Tuple:
		return asMsgpackSees([]any(x))
	case taggedjson.UUID:
		return x.String()
	case taggedjson.Markup:
		return string(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// runPython runs testdata/pypickle.py mode with a JSON list of base64
// inputs and returns one result object per input.
func runPython(t *testing.T, mode string, inputs [][]byte) []map[string]any {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		testenv.Unavailable(t, "%s not found (Debian's python3 with python3-markupsafe is the pickle peer)", systemPython)
	}
	check := "import markupsafe"
	if mode == "msgpack" {
		check = "import msgpack"
	}
	if out, err := exec.Command(systemPython, "-c", check).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot %q (install the Debian package python3-%s): %s", systemPython, check,
			strings.TrimPrefix(check, "import "), bytes.TrimSpace(out))
	}
	b64 := make([]string, len(inputs))
	for i, in := range inputs {
		b64[i] = base64.StdEncoding.EncodeToString(in)
	}
	stdin, _ := json.Marshal(b64)
	cmd := exec.Command(systemPython, "testdata/pypickle.py", mode)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pypickle.py %s: %v\n%s", mode, err, stderr.String())
	}
	var results []map[string]any
	decodeJSON(t, out, &results)
	if len(results) != len(inputs) {
		t.Fatalf("pypickle.py %s: %d results for %d inputs", mode, len(results), len(inputs))
	}
	return results
}

// valueGen makes random session values, deterministically per seed.
type valueGen struct {
	r *rand.Rand
	// msgpackOnly keeps integers within what MessagePack holds.
	msgpackOnly bool
}

func (g *valueGen) session() map[string]any {
	m := map[string]any{}
	for n := g.r.Intn(8); n >= 0; n-- {
		m[g.str()] = g.value(0)
	}
	return m
}

func (g *valueGen) str() string {
	alphabets := []string{"abcxyz_", "\u00e9\u00ff\u0100", "\u2603\u20ac", "\U0001F600", "\\\n\"'\x00\x7f"}
	var b strings.Builder
	for n := g.r.Intn(6); n > 0; n-- {
		a := []rune(alphabets[g.r.Intn(len(alphabets))])
		b.WriteRune(a[g.r.Intn(len(a))])
	}
	if g.r.Intn(20) == 0 {
		b.WriteString(strings.Repeat("long", 20+g.r.Intn(60)))
	}
	return b.String()
}

func (g *valueGen) value(depth int) any {
	n := 13
	if depth > 3 {
		n = 9 // scalars only
	}
	switch g.r.Intn(n) {
	case 0:
		return nil
	case 1:
		return g.r.Intn(2) == 0
	case 2:
		edges := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, math.MaxInt64, -1, -32, -33,
			-128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
		if g.r.Intn(2) == 0 {
			return edges[g.r.Intn(len(edges))]
		}
		return g.r.Int63() >> g.r.Intn(63) * int64(1-2*g.r.Intn(2))
	case 3:
		if g.msgpackOnly {
			return new(big.Int).SetUint64(1<<63 + uint64(g.r.Int63()))
		}
		b := new(big.Int).Lsh(big.NewInt(g.r.Int63()+1), uint(60+g.r.Intn(200)))
		if g.r.Intn(2) == 0 {
			b.Neg(b)
		}
		return b
	case 4:
		specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, math.MaxFloat64, 1.5}
		if g.r.Intn(3) == 0 {
			return specials[g.r.Intn(len(specials))]
		}
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.Intn(40)-20))
	case 5:
		return g.str()
	case 6:
		b := make([]byte, g.r.Intn(300))
		g.r.Read(b)
		return b
	case 7:
		// Spread over years 1-9999, microsecond precision: every timestamp
		// form (4, 8, 12 bytes) and pre-1970 values.
		forms := []int64{g.r.Int63n(1 << 32), g.r.Int63n(1 << 34), minTime.Unix() + g.r.Int63n(maxTime.Unix()-minTime.Unix())}
		sec := forms[g.r.Intn(len(forms))]
		us := int64(0)
		if g.r.Intn(2) == 0 {
			us = g.r.Int63n(1e6)
		}
		return time.Unix(sec, us*1000).UTC()
	case 8:
		var u taggedjson.UUID
		g.r.Read(u[:])
		if g.r.Intn(2) == 0 {
			return taggedjson.Markup(g.str())
		}
		return u
	case 9, 10:
		l := make([]any, g.r.Intn(5))
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		if g.r.Intn(3) == 0 {
			return taggedjson.Tuple(l)
		}
		return l
	default:
		m := map[string]any{}
		for n := g.r.Intn(5); n > 0; n-- {
			m[g.str()] = g.value(depth + 1)
		}
		return m
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		x, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatalf("bad hex %q", s)
		}
		b[i] = byte(x)
	}
	return b
}

func newBig(s string) (*big.Int, bool) { return new(big.Int).SetString(s, 10) }

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

func negInf() float64 { return math.Inf(-1) }
