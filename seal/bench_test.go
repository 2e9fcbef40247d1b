package seal

import (
	"bytes"
	"testing"
	"time"
)

func BenchmarkSeal(b *testing.B) {
	s := mustNew(b, key(1))
	for name, p := range map[string][]byte{"session": session, "compressible": bytes.Repeat([]byte(`{"sku":"A-1","qty":1},`), 20)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for i := 0; i < b.N; i++ {
				s.Seal(p, t0, t0.Add(time.Hour))
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	s := mustNew(b, key(1))
	for name, p := range map[string][]byte{"session": session, "compressible": bytes.Repeat([]byte(`{"sku":"A-1","qty":1},`), 20)} {
		tok := s.Seal(p, t0, t0.Add(time.Hour))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for i := 0; i < b.N; i++ {
				if _, _, _, err := s.Open(tok, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
