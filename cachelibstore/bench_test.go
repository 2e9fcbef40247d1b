package cachelibstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch.
func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) session.Store {
		return newStore(b, b.TempDir())
	})
}

// BenchmarkCreate measures saving new keys (a file and a counter update
// each) with and without cachelib's counter.
func BenchmarkCreate(b *testing.B) {
	for _, threshold := range []int{0, 1 << 30} {
		b.Run("threshold="+strconv.Itoa(threshold), func(b *testing.B) {
			s := newStore(b, b.TempDir(), WithThreshold(threshold))
			rec := session.Record{Data: []byte("\x80\x02}q\x00."), Expires: time.Now().Add(time.Hour)}
			for i := 0; i < b.N; i++ {
				if err := s.Save(bg, "session:"+strconv.Itoa(i), rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
