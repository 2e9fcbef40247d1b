package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func FuzzOpen(f *testing.F) {
	s := mustNew(f, key(1), key(2))
	old := mustNew(f, key(2))
	f.Add(s.Seal(session, t0, t0.Add(time.Hour)), false)
	f.Add(s.Seal(bytes.Repeat(session, 10), t0, time.Time{}), false)
	f.Add(old.Seal(nil, t0, time.Time{}), false)
	f.Add("AQAAAAA", true)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, in string, authentic bool) {
		tok := in
		if authentic {
			// Treat the input as the inner plaintext (flags, times, body)
			// and seal it properly: this reaches the code behind the
			// authentication check, which random tokens never do.
			tok = sealRaw(s, []byte(in))
		}
		p, iat, idx, err := s.Open(tok, t0)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) &&
				!errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrExpired) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if !authentic && errors.Is(err, ErrExpired) {
				t.Fatalf("forged token %q got past authentication", tok)
			}
			return
		}
		if !authentic && tok != in {
			t.Fatal("unreachable")
		}
		if idx < 0 || idx > 1 {
			t.Fatalf("keyIndex = %d", idx)
		}
		// Whatever opened must survive a fresh seal.
		back, iat2, _, err := s.Open(s.Seal(p, iat, time.Time{}), t0)
		if err != nil || !bytes.Equal(back, p) || !iat2.Equal(iat) {
			t.Fatalf("re-seal: %v", err)
		}
	})
}

// sealRaw encrypts inner as it is, under s's first key.
func sealRaw(s *Sealer, inner []byte) string { return sealRawVersion(s, version, inner) }

// sealRawVersion is sealRaw with the token version v.
func sealRawVersion(s *Sealer, v byte, inner []byte) string {
	k := &s.keys[0]
	hdr := make([]byte, headerLen)
	hdr[0] = v
	copy(hdr[1:], k.id[:])
	out := k.aead.Seal(hdr, hdr[1+idLen:], inner, s.additionalData(hdr))
	return base64.RawURLEncoding.EncodeToString(out)
}
