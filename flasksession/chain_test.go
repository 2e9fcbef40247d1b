package flasksession

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/taggedjson"
)

var _ session.Serializer = Chain{}
var _ session.Serializer = Msgpack{}
var _ session.Serializer = Pickle{}

func TestChainUnmarshal(t *testing.T) {
	huge, _ := newBig("123456789012345678901234567890")
	tests := []struct {
		name  string
		chain Chain
		data  string
		want  map[string]any
		err   error
	}{
		{"msgpack", Chain{}, "\x81\xa1a\x01", map[string]any{"a": int64(1)}, nil},
		{"json", Chain{}, `{"a":1,"b":[1.0,-0,1e400,"x"],"c":{"d":null},"e":123456789012345678901234567890}`,
			map[string]any{"a": int64(1), "b": []any{1.0, int64(0), math.Inf(1), "x"}, "c": map[string]any{"d": nil}, "e": huge}, nil},
		{"json with surrounding whitespace", Chain{}, " {\"a\":true}\n", map[string]any{"a": true}, nil},
		{"json duplicate key: last wins", Chain{}, `{"a":1,"a":2}`, map[string]any{"a": int64(2)}, nil},
		{"pickle when asked", Chain{ReadPickle: true}, "}X\x01\x00\x00\x00aK\x01s.", map[string]any{"a": int64(1)}, nil},
		{"pickle when writing pickle", Chain{Write: Pickle{}}, "}X\x01\x00\x00\x00aK\x01s.", map[string]any{"a": int64(1)}, nil},
		{"pickle not asked", Chain{}, "}X\x01\x00\x00\x00aK\x01s.", nil, ErrSyntax},
		{"msgpack array: no fallback", Chain{ReadPickle: true}, "\x92\x01\x02", nil, ErrNotMap},
		{"msgpack int key: no fallback", Chain{ReadPickle: true}, "\x81\x01\x02", nil, ErrUnsupportedValue},
		{"json array", Chain{}, "[1]", nil, ErrNotMap},
		{"json too deep", Chain{}, `{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "}", nil, ErrTooDeep},
		{"json huge integer", Chain{}, `{"a":` + strings.Repeat("9", 4301) + "}", nil, ErrUnsupportedValue},
		{"json trailing garbage", Chain{}, `{"a":1}x`, nil, ErrSyntax},
		{"json invalid UTF-8", Chain{}, "{\"a\":\"\xff\"}", nil, ErrSyntax},
		{"unsafe pickle", Chain{ReadPickle: true}, "cos\nsystem\n(S'id'\ntR.", nil, ErrUnsafePickle},
		{"garbage", Chain{ReadPickle: true}, "garbage", nil, ErrSyntax},
		{"empty", Chain{ReadPickle: true}, "", nil, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.chain.Unmarshal([]byte(tt.data))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, %v; want %v", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestChainMarshal(t *testing.T) {
	v := map[string]any{"t": taggedjson.Tuple{int64(1)}, "when": time.Unix(0, 0)}
	mp, err := Chain{}.Marshal(v)
	if err != nil || mp[0] != 0x82 {
		t.Fatalf("default Chain wrote %x, %v; want MessagePack", mp, err)
	}
	pk, err := Chain{Write: Pickle{}}.Marshal(v)
	if err != nil || string(pk[:2]) != "\x80\x02" {
		t.Fatalf("Chain{Write: Pickle{}} wrote %q, %v; want a protocol 2 pickle", pk, err)
	}
	back, err := Chain{Write: Pickle{}}.Unmarshal(pk)
	if err != nil || diff(v, back) != "" {
		t.Errorf("pickle round trip: %v %s", err, diff(v, back))
	}
}
