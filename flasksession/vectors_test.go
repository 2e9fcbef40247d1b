package flasksession

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/flaskgo/session/taggedjson"
)

const legacyVectors = "../testdata/flask-session-legacy.json"

// fsRecord is one record of testdata/flask-session-legacy.json (the fields
// these tests use; record_fields in the file describes them all).
type fsRecord struct {
	ID         string         `json:"id"`
	Backend    string         `json:"backend"`
	Config     map[string]any `json:"config"`
	StoredB64  *string        `json:"stored_b64"`
	Protocol   int            `json:"pickle_protocol"`
	Contents   any            `json:"contents"`
	Written    any            `json:"contents_written"`
	Decoded08  any            `json:"contents_decoded_by_0_8"`
	Built      string         `json:"constructed_msgpack_b64"`
	Preseeded  map[string]any `json:"preseeded"`
	Filesystem *struct {
		FileB64 string `json:"file_b64"`
	} `json:"filesystem"`
}

type fsProbe struct {
	Probe     string  `json:"probe"`
	StoredB64 *string `json:"stored_b64"`
	Status    int     `json:"status"`
	Body      *string `json:"body"`
	AfterB64  *string `json:"entry_after_b64"`
}

type fsVectors struct {
	Legacy struct {
		Records []fsRecord `json:"records"`
	} `json:"legacy_pickle"`
	Msgspec struct {
		Records []fsRecord `json:"records"`
	} `json:"msgspec_0_8"`
	Probes struct {
		V080 []fsProbe `json:"flask_session_0_8_0"`
		V032 []fsProbe `json:"flask_session_0_3_2"`
	} `json:"behaviour_probes"`
	TypeBehaviour struct {
		Results []map[string]any `json:"results"`
	} `json:"msgspec_type_behaviour"`
}

func loadVectors(t *testing.T) *fsVectors {
	t.Helper()
	data, err := os.ReadFile(legacyVectors)
	if err != nil {
		t.Fatal(err)
	}
	var v fsVectors
	decodeJSON(t, data, &v)
	if len(v.Legacy.Records) == 0 || len(v.Msgspec.Records) == 0 {
		t.Fatal("vector file has no records")
	}
	return &v
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every pickle Flask-Session 0.3.2 stored (Redis, FileSystemCache, SQL)
// decodes to the contents Flask wrote, and survives a Go round trip.
func TestLegacyPickleVectors(t *testing.T) {
	v := loadVectors(t)
	n := 0
	for _, r := range v.Legacy.Records {
		if r.StoredB64 == nil {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			data := b64(t, *r.StoredB64)
			if int(data[1]) != r.Protocol {
				t.Errorf("protocol byte %d, record says %d", data[1], r.Protocol)
			}
			want := mustTyped(t, r.Contents, false)
			got, err := Pickle{}.Unmarshal(data)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("decoded: %s", d)
			}
			if r.Filesystem != nil {
				file := b64(t, r.Filesystem.FileB64)
				if !bytes.Equal(file[4:], data) {
					t.Errorf("file after its 4-byte header differs from stored_b64")
				}
			}
			// 0.8's reader and ours: the fallback chain ends in the same dict.
			got2, err := Chain{ReadPickle: true}.Unmarshal(data)
			if err != nil || diff(want, got2) != "" {
				t.Errorf("Chain: %v %s", err, diff(want, got2))
			}
			if _, err := (Chain{}).Unmarshal(data); !errors.Is(err, ErrSyntax) {
				t.Errorf("Chain without ReadPickle: %v, want ErrSyntax", err)
			}
			again, err := Pickle{}.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			back, err := Pickle{}.Unmarshal(again)
			if err != nil {
				t.Fatalf("Unmarshal(Marshal): %v", err)
			}
			if d := diff(want, back); d != "" {
				t.Errorf("round trip: %s", d)
			}
		})
		n++
	}
	t.Logf("%d legacy pickle records decoded", n)
}

// Every MessagePack entry Flask-Session 0.8 stored decodes to what 0.8's own
// decoder returned, and re-encodes to the same bytes in Flask's key order.
func TestMsgspecVectors(t *testing.T) {
	v := loadVectors(t)
	var decoded, exact, rewriteExact, total int
	for _, r := range v.Msgspec.Records {
		if r.StoredB64 == nil {
			continue
		}
		total++
		t.Run(r.ID, func(t *testing.T) {
			data := b64(t, *r.StoredB64)
			want := mustTyped(t, r.Decoded08, false)
			got, err := Chain{ReadPickle: true}.Unmarshal(data)
			if err != nil {
				t.Fatalf("Chain.Unmarshal: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Fatalf("Chain decoded: %s", d)
			}
			decoded++
			switch {
			case r.Backend == "cachelib": // cachelib pickles even under 0.8
				if _, err := (Msgpack{}).Unmarshal(data); !errors.Is(err, ErrSyntax) {
					t.Errorf("Msgpack on a pickle: %v, want ErrSyntax", err)
				}
				return
			case r.Config["format"] == "json":
				if _, err := (Msgpack{}).Unmarshal(data); !errors.Is(err, ErrSyntax) {
					t.Errorf("Msgpack on JSON: %v, want ErrSyntax", err)
				}
				return
			}
			got, err = Msgpack{}.Unmarshal(data)
			if err != nil || diff(want, got) != "" {
				t.Fatalf("Msgpack.Unmarshal: %v %s", err, diff(want, got))
			}
			// Flask's insertion order reproduced: byte for byte.
			var e mpEncoder
			if err := e.value(mustTyped(t, r.Decoded08, true), 0); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.buf, data) {
				t.Errorf("ordered encoding\n got %x\nwant %x", e.buf, data)
			} else {
				exact++
			}
			if r.Built != "" && !bytes.Equal(b64(t, r.Built), data) {
				t.Errorf("constructed_msgpack_b64 differs from stored bytes")
			}
			// An untouched rewrite keeps the order Unmarshal read.
			rewritten, err := Msgpack{}.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rewritten, data) {
				t.Errorf("Marshal(Unmarshal(stored)) is not byte-identical\n got %x\nwant %x", rewritten, data)
			} else {
				rewriteExact++
			}
			// A fresh map (no remembered order) is written sorted: same
			// meaning, same length.
			sorted, err := Msgpack{}.Marshal(plain(mustTyped(t, r.Decoded08, false)).(map[string]any))
			if err != nil {
				t.Fatal(err)
			}
			if len(sorted) != len(data) {
				t.Errorf("sorted encoding has %d bytes, Flask's %d", len(sorted), len(data))
			}
			back, err := Msgpack{}.Unmarshal(sorted)
			if err != nil || diff(want, back) != "" {
				t.Errorf("Unmarshal(Marshal): %v %s", err, diff(want, back))
			}
		})
	}
	t.Logf("%d/%d msgspec records decoded; %d re-encoded byte-exact in Flask's key order; %d rewritten byte-exact by Marshal(Unmarshal)",
		decoded, total, exact, rewriteExact)
}

// N-redis-legacy-pickle-upgrade: 0.8 read a 0.3.2 pickle and rewrote it as
// MessagePack. Go does the same conversion to the same bytes.
func TestLegacyUpgradeVector(t *testing.T) {
	v := loadVectors(t)
	for _, r := range v.Msgspec.Records {
		if r.ID != "N-redis-legacy-pickle-upgrade" {
			continue
		}
		pickled := b64(t, r.Preseeded["pickle_b64"].(string))
		got, err := Chain{ReadPickle: true}.Unmarshal(pickled)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(mustTyped(t, r.Preseeded["contents"], false), got); d != "" {
			t.Fatalf("pickle decoded: %s", d)
		}
		order := mustTyped(t, r.Preseeded["contents"], true).(*orderedMap)
		var e mpEncoder
		if err := e.value(&orderedMap{keys: order.keys, m: got}, 0); err != nil {
			t.Fatal(err)
		}
		if want := b64(t, *r.StoredB64); !bytes.Equal(e.buf, want) {
			t.Errorf("upgraded entry\n got %x\nwant %x", e.buf, want)
		}
		// The unpickled map remembers the pickle's key order: Marshal
		// alone produces Flask-Session's upgrade bytes.
		direct, err := Msgpack{}.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if want := b64(t, *r.StoredB64); !bytes.Equal(direct, want) {
			t.Errorf("Msgpack.Marshal(unpickled)\n got %x\nwant %x", direct, want)
		}
		return
	}
	t.Fatal("record N-redis-legacy-pickle-upgrade not found")
}

// behaviour_probes: what Flask-Session 0.8 and 0.3.2 did with odd store
// values. Chain must fail exactly where 0.8 answered 500, and read what 0.8
// read; Pickle must fail exactly where 0.3.2 gave up on the entry.
func TestBehaviourProbes(t *testing.T) {
	v := loadVectors(t)
	if len(v.Probes.V080) == 0 || len(v.Probes.V032) == 0 {
		t.Fatal("no behaviour probes")
	}
	for _, p := range v.Probes.V080 {
		if p.StoredB64 == nil {
			continue
		}
		t.Run("0.8/"+p.Probe, func(t *testing.T) {
			data := b64(t, *p.StoredB64)
			got, err := Chain{ReadPickle: true}.Unmarshal(data)
			switch {
			case len(data) == 0:
				// Flask treats an empty value as a missing entry; so must the
				// caller, and decoding must not invent a session.
				if err == nil {
					t.Errorf("empty value decoded to %v", got)
				}
			case p.Status == 500:
				if err == nil {
					t.Errorf("Flask answered 500, Chain decoded %v", got)
				}
			default:
				if err != nil {
					t.Fatalf("Flask read it, Chain: %v", err)
				}
				if d := diff(mustTyped(t, decodeBody(t, *p.Body), false), got); d != "" {
					t.Errorf("%s", d)
				}
			}
		})
	}
	for _, p := range v.Probes.V032 {
		if p.StoredB64 == nil {
			continue
		}
		t.Run("0.3.2/"+p.Probe, func(t *testing.T) {
			data := b64(t, *p.StoredB64)
			got, err := Pickle{}.Unmarshal(data)
			// 0.3.2 overwrites an entry it cannot unpickle.
			if gaveUp := p.AfterB64 == nil || *p.AfterB64 != *p.StoredB64; gaveUp {
				if err == nil {
					t.Errorf("0.3.2 could not read it, Pickle decoded %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("0.3.2 read it, Pickle: %v", err)
			}
			if d := diff(mustTyped(t, decodeBody(t, *p.Body), false), got); d != "" {
				t.Errorf("%s", d)
			}
		})
	}
}

func decodeBody(t *testing.T, body string) any {
	var v any
	decodeJSON(t, []byte(body), &v)
	return v
}

// msgspec_type_behaviour: values msgspec wrote for awkward Python types,
// read by Msgpack; and Go values written like msgspec writes them.
func TestMsgspecTypeBehaviour(t *testing.T) {
	v := loadVectors(t)
	if len(v.TypeBehaviour.Results) == 0 {
		t.Fatal("no msgspec_type_behaviour results")
	}
	uuid, _ := taggedjson.ParseUUID("12345678-1234-5678-1234-567812345678")
	two64, _ := newBig("18446744073709551616")
	minus, _ := newBig("-9223372036854775809")
	cases := map[string]struct {
		read    any   // what Msgpack.Unmarshal gives for {"v": value}
		readErr error // or the error it gives
		write   any   // a Go value that Msgpack.Marshal writes as msgspec did
		wErr    error // or Marshal's error (msgspec errors there too)
	}{
		"IntEnum":                        {read: int64(1)},
		"Enum":                           {read: "red"},
		"int keys":                       {readErr: ErrUnsupportedValue},
		"tuple key":                      {readErr: ErrUnsupportedValue},
		"nan":                            {read: math.NaN(), write: math.NaN()},
		"inf":                            {read: math.Inf(1), write: math.Inf(1)},
		"uuid":                           {read: uuid.String(), write: uuid},
		"decimal":                        {read: "1.10"},
		"timedelta":                      {read: "P1DT2.000003S"},
		"time":                           {read: "12:30:00"},
		"bytearray":                      {read: []byte("ab"), write: []byte("ab")},
		"OrderedDict-like dict subclass": {read: map[string]any{"a": int64(1)}, write: map[string]any{"a": 1}},
		"2**64":                          {write: two64, wErr: ErrUnsupportedValue},
		"-2**63-1":                       {write: minus, wErr: ErrUnsupportedValue},
	}
	for _, res := range v.TypeBehaviour.Results {
		version := res["msgspec"].(string)
		for name, c := range cases {
			entry, ok := res[name].(map[string]any)
			if !ok {
				t.Errorf("msgspec %s: no entry %q", version, name)
				continue
			}
			mp := entry["msgpack"].(map[string]any)
			hexStr, _ := mp["hex"].(string)
			var data []byte
			if hexStr != "" {
				data = mustHex(t, hexStr)
				got, err := Msgpack{}.Unmarshal(data)
				if c.readErr != nil {
					if !errors.Is(err, c.readErr) {
						t.Errorf("%s %s: read error %v, want %v", version, name, err, c.readErr)
					}
				} else if err != nil || diff(c.read, got["v"]) != "" {
					t.Errorf("%s %s: read %v %v: %s", version, name, got, err, diff(c.read, got["v"]))
				}
			}
			if c.write == nil && c.wErr == nil {
				continue
			}
			out, err := Msgpack{}.Marshal(map[string]any{"v": c.write})
			switch {
			case c.wErr != nil:
				if !errors.Is(err, c.wErr) || mp["error"] == nil {
					t.Errorf("%s %s: Marshal error %v, want %v (msgspec: %v)", version, name, err, c.wErr, mp["error"])
				}
			case err != nil || !bytes.Equal(out, data):
				t.Errorf("%s %s: Marshal %x %v, msgspec wrote %s", version, name, out, err, hexStr)
			}
		}
	}
}
