package signer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var fuzzKeys = [][]byte{[]byte("public-test-secret-1"), []byte("key-v3"), []byte("key-v2"), []byte("key-v1")}

// refVerify checks a timed token's signature with fresh crypto/hmac objects
// and the standard base64 decoder, independently of the pooled fast path.
func refVerify(key []byte, token string) bool {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || strings.ContainsAny(token[i+1:], "\r\n") {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(refSign(sha1.New, key, DefaultSalt, token[:i]))
	return hmac.Equal(sig, want)
}

func FuzzDecode(f *testing.F) {
	v := loadCookieVectors(f)
	for _, c := range append(v.Positive, v.Negative...) {
		f.Add(c.Cookie)
	}
	s := mustNew(f, Config{Keys: fuzzKeys})
	// single[i] signs with fuzzKeys[i], to re-sign what key i verified.
	var single []*Signer
	for _, k := range fuzzKeys {
		single = append(single, mustNew(f, Config{Keys: [][]byte{k}}))
	}
	now := time.Unix(1700000000, 0)
	f.Add(s.Encode([]byte(compressiblePayload), now))
	f.Add(s.Encode([]byte(plainPayload), now))
	f.Add("." + b64([]byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) + ".ZVPxAA")

	f.Fuzz(func(t *testing.T, token string) {
		// 1. The token as given: almost always a bad signature. If it
		// verifies, it must verify independently too, and agree with the
		// unverified reading.
		payload, signedAt, idx, err := s.Decode(token, 0, now)
		if err == nil {
			if idx < 0 || idx >= len(fuzzKeys) || !refVerify(fuzzKeys[idx], token) {
				t.Fatalf("accepted %q with key %d, reference verifier disagrees", token, idx)
			}
			checkConsistent(t, single[idx], token, payload, signedAt)
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) &&
			!errors.Is(err, ErrBadPayload) && !errors.Is(err, ErrExpired) {
			t.Fatalf("unexpected error class: %v", err)
		}

		// 2. The token treated as a signing input and signed: this reaches
		// the timestamp and payload decoders with arbitrary input.
		if len(token) > 4096 {
			return
		}
		tok := signed(fuzzKeys[0], token)
		payload, signedAt, idx, err = s.Decode(tok, 0, now)
		if err != nil {
			if errors.Is(err, ErrBadSignature) {
				t.Fatalf("own signature rejected for %q: %v", tok, err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadPayload) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if idx != 0 {
			t.Fatalf("keyIndex = %d, want 0", idx)
		}
		checkConsistent(t, single[0], tok, payload, signedAt)
	})
}

// checkConsistent holds for every accepted token: the unverified reading
// agrees, and re-signing the payload at signedAt with the key that verified
// it (the only key of s) gives back a token that
// decodes to the same thing; for a canonical uncompressed token, the very
// same text.
func checkConsistent(t *testing.T, s *Signer, token string, payload []byte, signedAt time.Time) {
	t.Helper()
	up, uts, err := DecodeUnverified(token)
	if err != nil || !bytes.Equal(up, payload) || !uts.Equal(signedAt) {
		t.Fatalf("DecodeUnverified(%q) = %q, %v, %v; Decode gave %q, %v", token, up, uts, err, payload, signedAt)
	}
	re := s.Encode(payload, signedAt)
	rp, rts, _, err := s.Decode(re, 0, signedAt)
	if err != nil || !bytes.Equal(rp, payload) || !rts.Equal(signedAt) {
		t.Fatalf("re-encoded %q does not decode back: %v", re, err)
	}
	p, _ := split(token)
	canonical := !p.compress && p.payload == b64(payload) &&
		p.timestamp == b64(minimalTS(signedAt.Unix())) &&
		p.sig == b64(mustDecode(t, p.sig))
	if canonical && s.encode(payload, signedAt, false) != token {
		t.Fatalf("canonical token %q not reproduced: %q", token, s.encode(payload, signedAt, false))
	}
}

func minimalTS(sec int64) []byte {
	var b []byte
	for v := uint64(sec); v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	return b
}

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return b
}

func FuzzVerifyValue(f *testing.F) {
	s := mustNew(f, Config{Keys: [][]byte{[]byte("correct horse battery staple")}, Salt: "flask-session"})
	f.Add("VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q.wFyEzHMmRZ9LBEwFqVFVVlfe2dc")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		v, idx, err := s.VerifyValue(in)
		if err == nil {
			if idx != 0 || s.SignValue(v) != in && !strings.HasPrefix(in, v+".") {
				t.Fatalf("VerifyValue(%q) = %q, %d", in, v, idx)
			}
		}
		if len(in) > 4096 {
			return
		}
		back, idx, err := s.VerifyValue(s.SignValue(in))
		if err != nil || back != in || idx != 0 {
			t.Fatalf("round trip of %q: %q, %d, %v", in, back, idx, err)
		}
	})
}

// FuzzDecodeB64 compares the string decoder with encoding/base64.
func FuzzDecodeB64(f *testing.F) {
	f.Add("ZVPxAA")
	f.Add("A")
	f.Add("AB\nC")
	f.Fuzz(func(t *testing.T, s string) {
		dst := make([]byte, decodedLen(len(s)))
		n, ok := decodeB64(dst, s)
		want, err := base64.RawURLEncoding.DecodeString(s)
		if strings.ContainsAny(s, "\r\n") {
			if ok {
				t.Fatalf("decodeB64(%q) accepted a line break", s)
			}
			return
		}
		if ok != (err == nil) {
			t.Fatalf("decodeB64(%q) ok=%v, stdlib err=%v", s, ok, err)
		}
		if ok && !bytes.Equal(dst[:n], want) {
			t.Fatalf("decodeB64(%q) = %x, want %x", s, dst[:n], want)
		}
	})
}

// FuzzPeek: Peek never panics, never returns more than the limit, and for a
// token that Decode accepts returns a prefix of the verified payload.
func FuzzPeek(f *testing.F) {
	v := loadCookieVectors(f)
	for _, c := range append(v.Positive, v.Negative...) {
		f.Add(c.Cookie, 64)
	}
	s := mustNew(f, Config{Keys: fuzzKeys})
	now := time.Unix(1700000000, 0)
	f.Add(s.Encode([]byte(compressiblePayload), now), 10)
	f.Fuzz(func(t *testing.T, token string, limit int) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		got, truncated, _, err := Peek(token, limit)
		if len(got) > limit {
			t.Fatalf("Peek returned %d bytes, limit %d", len(got), limit)
		}
		if err != nil {
			return
		}
		full, _, _, derr := s.Decode(token, 0, now)
		if derr == nil && (!bytes.HasPrefix(full, got) || truncated != (len(full) > limit)) {
			t.Fatalf("Peek = %q (truncated %v), Decode = %q", got, truncated, full)
		}
	})
}
