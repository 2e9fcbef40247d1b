package taggedjson_test

import (
	"testing"

	"github.com/flaskgo/session/taggedjson"
)

// typicalSession is the shape of an ordinary logged-in session.
func typicalSession() map[string]any {
	return map[string]any{
		"_permanent": true,
		"user_id":    42,
		"username":   "alice",
		"cart":       map[string]any{"sku-1": 2, "sku-7": 1},
		"_flashes":   []any{taggedjson.Tuple{"message", "Welcome"}},
		"csrf":       "9f86d081884c7d659a2feaa0c55ad015",
	}
}

func BenchmarkMarshal(b *testing.B) {
	s := typicalSession()
	out, _ := taggedjson.Marshal(s)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := taggedjson.Marshal(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, err := taggedjson.Marshal(typicalSession())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := taggedjson.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
