package flasksession

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

type pyPickleCase struct {
	Name      string `json:"name"`
	Protocol  int    `json:"protocol"`
	PickleB64 string `json:"pickle_b64"`
	Typed     any    `json:"typed"`
}

// testdata/python_pickles.json: sample sessions pickled by CPython in every
// protocol (0-5) by testdata/pypickle.py gen. No Python needed to run this.
func TestPythonPickles(t *testing.T) {
	data, err := os.ReadFile("testdata/python_pickles.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []pyPickleCase `json:"cases"`
	}
	decodeJSON(t, data, &file)
	protocols := map[int]int{}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			raw, err := base64.StdEncoding.DecodeString(c.PickleB64)
			if err != nil {
				t.Fatal(err)
			}
			want := mustTyped(t, c.Typed, false)
			got, err := Pickle{}.Unmarshal(raw)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Fatalf("%s", d)
			}
			protocols[c.Protocol]++
			if _, err := (Chain{}).Unmarshal(raw); err == nil {
				t.Errorf("Chain without ReadPickle read a pickle")
			}
		})
	}
	for p := 0; p <= 5; p++ {
		if protocols[p] == 0 {
			t.Errorf("no protocol %d pickle decoded", p)
		}
	}
}

// Aware datetimes keep their UTC offset (the instant check in diff would
// not notice a lost offset).
func TestPythonPicklesOffsets(t *testing.T) {
	data, err := os.ReadFile("testdata/python_pickles.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []pyPickleCase `json:"cases"`
	}
	decodeJSON(t, data, &file)
	seen := 0
	for _, c := range file.Cases {
		if c.Name[:6] != "times/" {
			continue
		}
		raw, _ := base64.StdEncoding.DecodeString(c.PickleB64)
		got, err := Pickle{}.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		for key, wantOff := range map[string]int{"plus0530": 19800, "minus8": -28800, "named_tz": 3600, "utc": 0, "naive": 0} {
			tm := got[key].(time.Time)
			if _, off := tm.Zone(); off != wantOff {
				t.Errorf("%s %s: offset %d, want %d", c.Name, key, off, wantOff)
			}
			if wantOff == 0 && tm.Location() != time.UTC {
				t.Errorf("%s %s: location %v, want UTC", c.Name, key, tm.Location())
			}
		}
		seen++
	}
	if seen != 6 {
		t.Errorf("%d times cases, want 6", seen)
	}
}

// Go's pickles, read by CPython's pickle.loads (what Flask-Session ≤ 0.6
// runs): random sessions and one holding every supported type.
func TestPickleReadByPython(t *testing.T) {
	uuid, _ := taggedjson.ParseUUID("12345678-1234-5678-1234-567812345678")
	rich := map[string]any{
		"_permanent": true,
		"_flashes":   []any{taggedjson.Tuple{"success", "Saved!"}},
		"tuple4":     taggedjson.Tuple{int64(1), "a", nil, []any{}},
		"tuple0":     taggedjson.Tuple{},
		"markup":     taggedjson.Markup("<b>x</b>"),
		"uuid":       uuid,
		"when":       time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.FixedZone("", 7200)),
		"min":        time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"blob":       []byte{0, 1, 0x7f, 0x80, 0xff},
		"empty":      []byte{},
		"ints":       []any{int64(-129), int64(-128), int64(255), int64(256), int64(65536), int64(-1 << 31), int64(1 << 31), int64(-1 << 63)},
		"plain_ints": []int{1, 2, 3},
		"go_int":     7,
		"uint64":     uint64(1<<64 - 1),
	}
	g := valueGen{r: rand.New(rand.NewSource(1))}
	values := []map[string]any{rich, {}}
	for i := 0; i < 300; i++ {
		values = append(values, g.session())
	}
	inputs := make([][]byte, len(values))
	for i, v := range values {
		b, err := Pickle{}.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal %d: %v", i, err)
		}
		inputs[i] = b
	}
	results := runPython(t, "loads", inputs)
	for i, res := range results {
		if res["error"] != nil {
			t.Fatalf("value %d: Python: %v\npickle %x", i, res["error"], inputs[i])
		}
		got := mustTyped(t, res["typed"], false)
		want, err := Pickle{}.Unmarshal(inputs[i]) // Go's own reading of its output
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // rich holds Go types that decode as their model type
			if want["go_int"] != int64(7) || diff([]any{int64(1), int64(2), int64(3)}, want["plain_ints"]) != "" {
				t.Fatalf("rich value decoded as %v", want)
			}
		} else if d := diff(values[i], want); d != "" {
			t.Fatalf("value %d: Go round trip: %s", i, d)
		}
		if d := diff(want, got); d != "" {
			t.Fatalf("value %d: Python read %s", i, d)
		}
	}
	t.Logf("%d Go pickles read back by CPython", len(results))
}

// Go's MessagePack, read by msgpack-python and packed again from the
// decoded dict: the bytes must come out identical (smallest encodings,
// float64, timestamp forms), and the values equal.
func TestMsgpackReadByPython(t *testing.T) {
	g := valueGen{r: rand.New(rand.NewSource(2)), msgpackOnly: true}
	values := []map[string]any{{}}
	for i := 0; i < 300; i++ {
		values = append(values, g.session())
	}
	inputs := make([][]byte, len(values))
	for i, v := range values {
		b, err := Msgpack{}.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal %d: %v", i, err)
		}
		inputs[i] = b
	}
	results := runPython(t, "msgpack", inputs)
	for i, res := range results {
		if res["error"] != nil {
			t.Fatalf("value %d: Python: %v\nmsgpack %x", i, res["error"], inputs[i])
		}
		repacked, _ := base64.StdEncoding.DecodeString(res["repacked_b64"].(string))
		if !bytes.Equal(repacked, inputs[i]) {
			t.Fatalf("value %d: msgpack-python repacks\n%x\nGo wrote\n%x", i, repacked, inputs[i])
		}
		if d := diff(asMsgpackSees(values[i]), mustTyped(t, res["typed"], false)); d != "" {
			t.Fatalf("value %d: Python read %s", i, d)
		}
	}
	t.Logf("%d Go MessagePack values read and re-packed identically by msgpack-python", len(results))
}
