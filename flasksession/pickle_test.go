package flasksession

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func TestPickleUnmarshal(t *testing.T) {
	huge, _ := newBig("1180591620717411303424")
	uuid, _ := taggedjson.ParseUUID("12345678-1234-5678-1234-567812345678")
	tests := []struct {
		name   string
		pickle string
		want   map[string]any
	}{
		{"protocol 0 text opcodes",
			"(dp0\nVa\np1\nI01\nsVb\np2\nL1180591620717411303424L\nsVc\np3\nI-5\nsVf\np4\nF1.5\nsVs\np5\nVh\\u005c\xe9\\u000a\\u2603\\U0001f600\np6\nsVn\nI00\ns.",
			map[string]any{"a": true, "b": huge, "c": int64(-5), "f": 1.5, "s": "h\\\u00e9\n\u2603\U0001F600", "n": false}},
		{"protocol 0 LONG without L, INF/NAN text",
			"(dVa\nL-7\nsVb\nF-inf\ns.", map[string]any{"a": int64(-7), "b": negInf()}},
		{"raw-unicode-escape backslash runs",
			"(dVa\nV\\\\u0041\nsVb\nV\\\\\\u0041\nsVc\nV\\x\ns.",
			map[string]any{"a": `\\u0041`, "b": `\\A`, "c": `\x`}},
		{"Python 2 STRING escapes",
			"(dS'k'\nS'v\\x41\\n\\'q\\101\\z'\ns.", map[string]any{"k": "vA\n'qA\\z"}},
		{"Python 2 BINSTRING, SHORT_BINSTRING",
			"\x80\x02}U\x01kT\x02\x00\x00\x00abs.", map[string]any{"k": "ab"}},
		{"memo, DUP, POP, POP_MARK",
			"\x80\x02}q\x00X\x01\x00\x00\x00aq\x010K\x07200(0(K\x01K\x021h\x01h\x01s.", map[string]any{"a": "a"}},
		{"LONG1 edges",
			"}(X\x01\x00\x00\x00a\x8a\x00X\x01\x00\x00\x00b\x8a\x01\xffX\x01\x00\x00\x00c\x8a\x02\x00\x80X\x01\x00\x00\x00d\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00u.",
			map[string]any{"a": int64(0), "b": int64(-1), "c": int64(-32768), "d": new(big.Int).Lsh(big.NewInt(1), 63)}},
		{"LONG4", "}X\x01\x00\x00\x00a\x8b\x01\x00\x00\x00\x05s.", map[string]any{"a": int64(5)}},
		{"datetime from ints, naive is UTC",
			"(dVt\ncdatetime\ndatetime\n(I2024\nI1\nI2\nI3\nI4\nI5\nI6\ntRs.",
			map[string]any{"t": time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)}},
		{"date from ints", "(dVd\ncdatetime\ndate\n(I2024\nI2\nI29\ntRs.", map[string]any{"d": "2024-02-29"}},
		{"Markup by REDUCE and NEWOBJ_EX",
			"(dVa\ncmarkupsafe\nMarkup\n(V<b>\ntRsVb\n\x80\x04\x8c\x0amarkupsafe\x8c\x06Markup\x93\x8c\x01x\x85}\x92s.",
			map[string]any{"a": taggedjson.Markup("<b>"), "b": taggedjson.Markup("x")}},
		{"Markup by copy_reg._reconstructor (protocol 0/1)",
			"(dVm\nccopy_reg\n_reconstructor\n(cmarkupsafe\nMarkup\nc__builtin__\nunicode\nV<i>\ntRs.", map[string]any{"m": taggedjson.Markup("<i>")}},
		{"UUID by _reconstructor and BUILD (protocol 0)",
			"(dVu\nccopy_reg\n_reconstructor\n(cuuid\nUUID\nc__builtin__\nobject\nNtR(dVint\nL24197857161011715162171839636988778104L\nsbs.",
			map[string]any{"u": uuid}},
		{"UUID with slot state tuple",
			"\x80\x02}X\x01\x00\x00\x00ucuuid\nUUID\n)\x81N}X\x03\x00\x00\x00intK\x05s\x86bs.",
			map[string]any{"u": taggedjson.UUID{15: 5}}},
		{"sets by REDUCE", "}(X\x01\x00\x00\x00ac__builtin__\nset\n]K\x01a\x85RX\x01\x00\x00\x00bcbuiltins\nfrozenset\n)Ru.",
			map[string]any{"a": []any{int64(1)}, "b": []any{}}},
		{"frozenset inside a set is hashable", "}X\x01\x00\x00\x00s\x8f((\x91\x90s.", map[string]any{"s": []any{[]any{}}}},
		{"bytearray and bytes by REDUCE",
			"}(X\x01\x00\x00\x00acbuiltins\nbytearray\nC\x02\x00\xff\x85RX\x01\x00\x00\x00bc__builtin__\nbytes\n)Ru.",
			map[string]any{"a": []byte{0, 0xff}, "b": []byte{}}},
		{"_codecs.encode default utf-8", "}X\x01\x00\x00\x00bc_codecs\nencode\nX\x02\x00\x00\x00\xc3\xa9\x85Rs.", map[string]any{"b": []byte{0xc3, 0xa9}}},
		{"FRAME, BYTEARRAY8, bytes after STOP ignored",
			"\x80\x05\x95\x14\x00\x00\x00\x00\x00\x00\x00}\x8c\x01b\x96\x01\x00\x00\x00\x00\x00\x00\x00\x07s.trailing", map[string]any{"b": []byte{7}}},
		{"dict keys set twice: last wins", "(Va\nI1\nVa\nI2\nd.", map[string]any{"a": int64(2)}},
		{"shared list is copied", "}(X\x01\x00\x00\x00a]q\x00K\x01aX\x01\x00\x00\x00bh\x00u.",
			map[string]any{"a": []any{int64(1)}, "b": []any{int64(1)}}},
		{"empty", "}.", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pickle{}.Unmarshal([]byte(tt.pickle))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Error(d)
			}
		})
	}
}

// Python's own datetime pickles keep the offset.
func TestPickleDatetimeOffset(t *testing.T) {
	// datetime(2024,1,2,3,4,5,6, tzinfo=timezone(timedelta(hours=-2, minutes=-30), "X")), protocol 3
	p := "\x80\x03}X\x01\x00\x00\x00tcdatetime\ndatetime\nC\n\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x06cdatetime\ntimezone\ncdatetime\ntimedelta\nJ\xff\xff\xff\xffJX.\x01\x00K\x00\x87RX\x01\x00\x00\x00X\x86R\x86Rs."
	got, err := Pickle{}.Unmarshal([]byte(p))
	if err != nil {
		t.Fatal(err)
	}
	tm := got["t"].(time.Time)
	if _, off := tm.Zone(); off != -9000 {
		t.Errorf("offset %d, want -9000", off)
	}
	if want := time.Date(2024, 1, 2, 5, 34, 5, 6000, time.UTC); !tm.Equal(want) {
		t.Errorf("instant %v, want %v", tm, want)
	}
}

func TestPickleUnmarshalErrors(t *testing.T) {
	// Each list holds the previous one twice: 2**60 values once expanded.
	exp := "\x80\x02}X\x01\x00\x00\x00a]q\x000" + strings.Repeat("](h\x00h\x00eq\x000", 60) + "h\x00s."
	deep := "}X\x01\x00\x00\x00a" + strings.Repeat("]", MaxDepth) + strings.Repeat("a", MaxDepth-1) + "s."
	tests := []struct {
		name   string
		pickle string
		err    error
	}{
		{"os.system", "cos\nsystem\n(S'echo hi'\ntR.", ErrUnsafePickle},
		{"posix.system by STACK_GLOBAL", "\x80\x04\x8c\x05posix\x8c\x06system\x93.", ErrUnsafePickle},
		{"builtins.eval", "cbuiltins\neval\n.", ErrUnsafePickle},
		{"builtins.getattr", "c__builtin__\ngetattr\n.", ErrUnsafePickle},
		{"_reconstructor of another class", "ccopy_reg\n_reconstructor\n(cuuid\nUUID\nc__builtin__\nstr\nNtR.", ErrUnsafePickle},
		{"calling uuid.UUID", "cuuid\nUUID\n(V12345678123456781234567812345678\ntR.", ErrUnsafePickle},
		{"NEWOBJ of set", "c__builtin__\nset\n)\x81.", ErrUnsafePickle},
		{"NEWOBJ_EX with kwargs", "\x80\x04cmarkupsafe\nMarkup\n)}X\x01\x00\x00\x00aK\x01s\x92.", ErrUnsafePickle},
		{"INST", "(i__main__\nFoo\n.", ErrUnsafePickle},
		{"OBJ", "(cuuid\nUUID\no.", ErrUnsafePickle},
		{"PERSID", "P0\n.", ErrUnsafePickle},
		{"BINPERSID", "K\x01Q.", ErrUnsafePickle},
		{"EXT1", "\x82\x01.", ErrUnsafePickle},
		{"NEXT_BUFFER", "\x80\x05\x97.", ErrUnsafePickle},
		{"top-level list", "]K\x01a.", ErrNotMap},
		{"top-level None", "N.", ErrNotMap},
		{"int key", "}K\x01K\x02s.", ErrUnsupportedValue},
		{"tuple key", "}K\x01\x85K\x02s.", ErrUnsupportedValue},
		{"list holding itself", "}(X\x01\x00\x00\x00a]q\x00h\x00au.", ErrUnsupportedValue},
		{"exponential sharing", exp, ErrTooLarge},
		{"too deep", deep, ErrTooDeep},
		{"standalone timedelta", "}X\x01\x00\x00\x00dcdatetime\ntimedelta\nK\x01K\x00K\x00\x87Rs.", ErrUnsupportedValue},
		{"datetime.time", "}X\x01\x00\x00\x00dcdatetime\ntime\n.", ErrUnsafePickle},
		{"timezone of 24 hours", "cdatetime\ntimezone\ncdatetime\ntimedelta\nK\x01K\x00K\x00\x87R\x85R.", ErrUnsupportedValue},
		{"timezone with microseconds", "cdatetime\ntimezone\ncdatetime\ntimedelta\nK\x00K\x00K\x01\x87R\x85R.", ErrUnsupportedValue},
		{"datetime with non-timezone tzinfo", "cdatetime\ndatetime\nC\n\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x06N]\x87R.", ErrUnsupportedValue},
		{"datetime 30 February", "cdatetime\ndatetime\n(I2024\nI2\nI30\ntR.", ErrUnsupportedValue},
		{"datetime state month 13", "cdatetime\ndatetime\nC\n\x07\xe8\x0d\x02\x03\x04\x05\x00\x00\x06\x85R.", ErrUnsupportedValue},
		{"Python 2 datetime state (non-ASCII str)", "cdatetime\ndatetime\n(S'\\x07\\xe8\\x01\\x02\\x03\\x04\\x05\\x00\\x00\\x06'\ntR.", ErrUnsupportedValue},
		{"latin1 encode of a snowman", "c_codecs\nencode\nX\x03\x00\x00\x00\xe2\x98\x83X\x06\x00\x00\x00latin1\x86R.", ErrSyntax},
		{"unknown codec", "c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.", ErrUnsupportedValue},
		{"invalid UTF-8", "}X\x01\x00\x00\x00aX\x01\x00\x00\x00\xffs.", ErrUnsupportedValue},
		{"lone surrogate", "(dVa\nV\\ud800\ns.", ErrUnsupportedValue},
		{"UUID without int", "}X\x01\x00\x00\x00ucuuid\nUUID\n)\x81s.", ErrSyntax},
		{"UUID int too big", "}X\x01\x00\x00\x00ucuuid\nUUID\n)\x81}X\x03\x00\x00\x00int\x8a\x11" + strings.Repeat("\x00", 16) + "\x01sbs.", ErrUnsupportedValue},
		{"long text integer", "(dVa\nL" + strings.Repeat("9", 4301) + "L\ns.", ErrSyntax},
		{"hex INT", "(dVa\nI0x10\ns.", ErrSyntax},
		{"hex FLOAT", "(dVa\nF0x1p3\ns.", ErrSyntax},
		{"empty input", "", ErrSyntax},
		{"truncated", "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x8c\x01a", ErrSyntax},
		{"no STOP", "}", ErrSyntax},
		{"unknown opcode", "}\xff.", ErrSyntax},
		{"protocol 6", "\x80\x06}.", ErrSyntax},
		{"stack underflow", "s.", ErrSyntax},
		{"pop below MARK", "}(s.", ErrSyntax},
		{"TUPLE without MARK", "t.", ErrSyntax},
		{"APPEND to a dict", "}K\x01a.", ErrSyntax},
		{"SETITEM on a list", "]K\x01K\x02s.", ErrSyntax},
		{"ADDITEMS to a frozenset", "(\x91(K\x01\x90.", ErrSyntax},
		{"unhashable set element", "\x8f(]\x90.", ErrSyntax},
		{"odd DICT", "(K\x01d.", ErrSyntax},
		{"missing memo", "h\x05.", ErrSyntax},
		{"REDUCE on a non-callable", "K\x01)R.", ErrSyntax},
		{"REDUCE args not a tuple", "cbuiltins\nset\n]R.", ErrSyntax},
		{"negative LONG4 size", "\x8b\xff\xff\xff\xff.", ErrSyntax},
		{"huge BINUNICODE8", "\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", ErrSyntax},
		{"FRAME longer than data", "\x95\xff\x00\x00\x00\x00\x00\x00\x00}.", ErrSyntax},
		{"unquoted STRING", "S'abc\n.", ErrSyntax},
		{"bad \\x escape", "S'\\x4'\n.", ErrSyntax},
		{"Python 2 non-ASCII str", "(dVa\nS'\\xe9'\ns.", ErrUnsupportedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pickle{}.Unmarshal([]byte(tt.pickle))
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Format != "pickle" {
				t.Errorf("error %#v is not a pickle *DecodeError", err)
			}
		})
	}
}

// The writer's integers are the bytes CPython's pickle.dumps(x, 2) writes.
func TestPickleIntegers(t *testing.T) {
	b := func(s string) *big.Int { x, _ := newBig(s); return x }
	tests := []struct {
		v   any
		hex string
	}{
		{int64(0), "4b00"}, {int64(255), "4bff"}, {int64(256), "4d0001"}, {int64(65535), "4dffff"},
		{int64(65536), "4a00000100"}, {int64(-1), "4affffffff"}, {int64(-129), "4a7fffffff"},
		{int64(2147483647), "4affffff7f"}, {int64(-2147483648), "4a00000080"},
		{int64(2147483648), "8a050000008000"}, {int64(-2147483649), "8a05ffffff7fff"},
		{b("9223372036854775808"), "8a09000000000000008000"}, {int64(-9223372036854775808), "8a080000000000000080"},
		{b("-9223372036854775809"), "8a09ffffffffffffff7fff"}, {uint64(18446744073709551615), "8a09ffffffffffffffff00"},
		{int64(-549755813888), "8a050000000080"}, {b("-128"), "4a80ffffff"},
	}
	for _, tt := range tests {
		var p pickler
		if err := p.value(tt.v, 0); err != nil {
			t.Fatal(err)
		}
		if want := mustHex(t, tt.hex); !bytes.Equal(p.buf, want) {
			t.Errorf("%v: got %x, want %x", tt.v, p.buf, want)
		}
	}
	// 2**2100 needs LONG4 (more than 255 bytes).
	var p pickler
	if err := p.value(new(big.Int).Lsh(big.NewInt(1), 2100), 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p.buf, mustHex(t, "8b07010000")) || len(p.buf) != 5+263 {
		t.Errorf("2**2100: %x...", p.buf[:8])
	}
}

func TestPickleMarshal(t *testing.T) {
	got, err := Pickle{}.Marshal(map[string]any{
		"when": time.Date(2024, 1, 2, 5, 4, 5, 6789, time.FixedZone("", 7200)),
		"t":    taggedjson.Tuple{int64(1), "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted keys; the datetime in UTC with microseconds (6789ns -> 6us);
	// protocol 2 opcodes only.
	want := "\x80\x02}(X\x01\x00\x00\x00tK\x01X\x01\x00\x00\x00a\x86" +
		"X\x04\x00\x00\x00when" +
		"cdatetime\ndatetime\nc_codecs\nencode\nX\x0b\x00\x00\x00\x07\xc3\xa8\x01\x02\x03\x04\x05\x00\x00\x06X\x06\x00\x00\x00latin1\x86R" +
		"cdatetime\ntimezone\ncdatetime\ntimedelta\nK\x00K\x00K\x00\x87R\x85R\x86Ru."
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	loop := []any{nil}
	loop[0] = loop
	for name, tc := range map[string]struct {
		v   map[string]any
		err error
	}{
		"invalid UTF-8 key":   {map[string]any{"\xff": 1}, ErrUnsupportedValue},
		"invalid UTF-8 value": {map[string]any{"a": []any{"\xff"}}, ErrUnsupportedValue},
		"year 10000":          {map[string]any{"a": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrUnsupportedValue},
		"func":                {map[string]any{"a": func() {}}, ErrUnsupportedType},
		"self reference":      {map[string]any{"a": loop}, ErrTooDeep},
	} {
		if _, err := (Pickle{}).Marshal(tc.v); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
}

func TestPickleRoundTrip(t *testing.T) {
	g := valueGen{r: newRand(3)}
	for i := 0; i < 500; i++ {
		v := g.session()
		data, err := Pickle{}.Marshal(v)
		if err != nil {
			t.Fatalf("%d: Marshal: %v", i, err)
		}
		back, err := Pickle{}.Unmarshal(data)
		if err != nil {
			t.Fatalf("%d: Unmarshal: %v", i, err)
		}
		if d := diff(v, back); d != "" {
			t.Fatalf("%d: %s", i, d)
		}
	}
}

func TestMsgpackRoundTrip(t *testing.T) {
	g := valueGen{r: newRand(4), msgpackOnly: true}
	for i := 0; i < 500; i++ {
		v := g.session()
		data, err := Msgpack{}.Marshal(v)
		if err != nil {
			t.Fatalf("%d: Marshal: %v", i, err)
		}
		back, err := Chain{}.Unmarshal(data)
		if err != nil {
			t.Fatalf("%d: Unmarshal: %v", i, err)
		}
		if d := diff(asMsgpackSees(v), back); d != "" {
			t.Fatalf("%d: %s", i, d)
		}
	}
}

// Tuples that share their elements: checking or converting them must not
// take exponential time.
func TestPickleSharedTuples(t *testing.T) {
	// t0 = (); t(k+1) = (tk, tk); then frozenset([t60]).
	p := "\x80\x02}X\x01\x00\x00\x00a)q\x000" + strings.Repeat("h\x00h\x00\x86q\x000", 60) + "(h\x00\x91s."
	done := make(chan error, 1)
	go func() { _, err := Pickle{}.Unmarshal([]byte(p)); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("got %v, want ErrTooLarge", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("decoding shared tuples did not finish in 10s")
	}
}
