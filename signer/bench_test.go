package signer

import (
	"testing"
	"time"
)

func BenchmarkEncode(b *testing.B) {
	s := mustNew(b, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000000, 0)
	for _, bc := range []struct{ name, payload string }{{"plain", plainPayload}, {"compressed", compressiblePayload}} {
		p := []byte(bc.payload)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for i := 0; i < b.N; i++ {
				s.Encode(p, now)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	now := time.Unix(1700000000, 0)
	for _, bc := range []struct {
		name     string
		payload  string
		fallback int // how many keys precede the signing key
	}{{"plain", plainPayload, 0}, {"compressed", compressiblePayload, 0}, {"plain/third-key", plainPayload, 2}} {
		keys := [][]byte{[]byte("a"), []byte("b")}[:bc.fallback]
		s := mustNew(b, Config{Keys: append(keys, testKey)})
		tok := mustNew(b, Config{Keys: [][]byte{testKey}}).Encode([]byte(bc.payload), now)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tok)))
			for i := 0; i < b.N; i++ {
				if _, _, _, err := s.Decode(tok, time.Hour, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("bad-signature", func(b *testing.B) {
		s := mustNew(b, Config{Keys: [][]byte{testKey}})
		tok := mustNew(b, Config{Keys: [][]byte{[]byte("other")}}).Encode([]byte(plainPayload), now)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, _, _, err := s.Decode(tok, time.Hour, now); err == nil {
				b.Fatal("verified")
			}
		}
	})
}

func BenchmarkVerifyValue(b *testing.B) {
	s := mustNew(b, Config{Keys: [][]byte{testKey}, Salt: "flask-session"})
	v := s.SignValue("VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.VerifyValue(v); err != nil {
			b.Fatal(err)
		}
	}
}
