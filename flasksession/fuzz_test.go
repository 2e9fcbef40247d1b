package flasksession

import (
	"encoding/base64"
	"errors"
	"os"
	"testing"
)

// seedCorpus adds every stored value of the vector files.
func seedCorpus(f *testing.F) {
	data, err := os.ReadFile(legacyVectors)
	if err != nil {
		f.Fatal(err)
	}
	var v fsVectors
	decodeJSON(f, data, &v)
	for _, rs := range [][]fsRecord{v.Legacy.Records, v.Msgspec.Records} {
		for _, r := range rs {
			if r.StoredB64 != nil {
				b, _ := base64.StdEncoding.DecodeString(*r.StoredB64)
				f.Add(b)
			}
		}
	}
	for _, p := range append(v.Probes.V080, v.Probes.V032...) {
		if p.StoredB64 != nil {
			b, _ := base64.StdEncoding.DecodeString(*p.StoredB64)
			f.Add(b)
		}
	}
	data, err = os.ReadFile("testdata/python_pickles.json")
	if err != nil {
		f.Fatal(err)
	}
	var py struct {
		Cases []pyPickleCase `json:"cases"`
	}
	decodeJSON(f, data, &py)
	for _, c := range py.Cases {
		if c.Protocol == 0 || c.Protocol == 2 || c.Protocol == 5 {
			b, _ := base64.StdEncoding.DecodeString(c.PickleB64)
			f.Add(b)
		}
	}
	for _, s := range []string{
		"(dVa\nV\\\\\\u0041\nsVb\nS'\\x41\\101'\ns.",
		"\x80\x02}X\x01\x00\x00\x00a]q\x000](h\x00h\x00eq\x000](h\x00h\x00eq\x000h\x00s.",
		"}(X\x01\x00\x00\x00a]q\x00h\x00au.",
		"(dVu\nccopy_reg\n_reconstructor\n(cuuid\nUUID\nc__builtin__\nobject\nNtR(dVint\nL5L\nsbs.",
		`{"a":[1,2.5,"x",{"b":null}]}`,
		"\x81\xa1a\xc7\x0c\xff\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff",
	} {
		f.Add([]byte(s))
	}
}

// checkDecodeError: every failure is a *DecodeError with a sentinel.
func checkDecodeError(t *testing.T, err error) {
	var de *DecodeError
	if !errors.As(err, &de) && !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	for _, s := range []error{ErrSyntax, ErrNotMap, ErrUnsafePickle, ErrUnsupportedValue, ErrTooDeep, ErrTooLarge} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v matches no sentinel", err)
}

// FuzzPickle: never panics; whatever decodes can be written back and reads
// back as the same session.
func FuzzPickle(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Pickle{}.Unmarshal(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		out, err := Pickle{}.Marshal(m)
		if err != nil {
			t.Fatalf("decoded %v but cannot write it back: %v", m, err)
		}
		back, err := Pickle{}.Unmarshal(out)
		if err != nil {
			t.Fatalf("cannot read own pickle %q: %v", out, err)
		}
		if d := diff(m, back); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

// FuzzMsgpack: never panics; whatever decodes can be written back and
// reads back as the same session.
func FuzzMsgpack(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Msgpack{}.Unmarshal(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		out, err := Msgpack{}.Marshal(m)
		if err != nil {
			t.Fatalf("decoded %v but cannot write it back: %v", m, err)
		}
		back, err := Msgpack{}.Unmarshal(out)
		if err != nil {
			t.Fatalf("cannot read own MessagePack %x: %v", out, err)
		}
		if d := diff(m, back); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

// FuzzChain: the whole fallback chain (MessagePack, JSON, pickle) never
// panics, and what it reads can be stored as MessagePack unless it holds
// integers MessagePack cannot, or as a pickle.
func FuzzChain(f *testing.F) {
	seedCorpus(f)
	c := Chain{ReadPickle: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := c.Unmarshal(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if _, err := (Pickle{}).Marshal(m); err != nil {
			t.Fatalf("decoded %v but cannot pickle it: %v", m, err)
		}
		if _, err := (Msgpack{}).Marshal(m); err != nil && !errors.Is(err, ErrUnsupportedValue) {
			t.Fatalf("decoded %v; Msgpack.Marshal: %v", m, err)
		}
	})
}
