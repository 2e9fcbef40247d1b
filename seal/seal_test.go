package seal

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustNew(t testing.TB, keys ...[]byte) *Sealer {
	t.Helper()
	s, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	t0      = time.Unix(1700000000, 0)
	session = []byte(`{"_fresh":true,"_user_id":"42","csrf_token":"Kq3XzT7pLm2vN8bR-Yw4","lang":"en","theme":"dark"}`)
)

func TestNewErrors(t *testing.T) {
	for name, keys := range map[string][][]byte{
		"no keys":        nil,
		"short key":      {make([]byte, 31)},
		"short fallback": {key(1), []byte("password")},
	} {
		if _, err := New(keys); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := New([][]byte{make([]byte, 32), make([]byte, 100)}); err != nil {
		t.Errorf("32- and 100-byte keys: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := mustNew(t, key(1))
	big := bytes.Repeat([]byte(`{"sku":"A-1","qty":1},`), 500)
	random := make([]byte, 300)
	rand.Read(random)
	for name, p := range map[string][]byte{
		"empty": {}, "session": session, "compressible": big, "random": random,
	} {
		t.Run(name, func(t *testing.T) {
			tok := s.Seal(p, t0, t0.Add(time.Hour))
			for i := 0; i < len(tok); i++ {
				if !isB64URL(tok[i]) {
					t.Fatalf("token byte %d = %q", i, tok[i])
				}
			}
			got, iat, idx, err := s.Open(tok, t0.Add(time.Minute))
			if err != nil || !bytes.Equal(got, p) || !iat.Equal(t0) || idx != 0 {
				t.Fatalf("Open = %.40q, %v, %d, %v", got, iat, idx, err)
			}
			// Sealing twice gives different tokens: the nonce is random.
			if s.Seal(p, t0, t0.Add(time.Hour)) == tok {
				t.Fatal("two seals gave the same token")
			}
		})
	}
}

func TestTokenLayout(t *testing.T) {
	s := mustNew(t, key(7))
	tok := s.Seal(session, t0, time.Time{})
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 2 {
		t.Errorf("version = %d", raw[0])
	}
	// Key id: SHA-256 of the derived AES key, first 4 bytes; recomputed here
	// independently from the documented derivation.
	m := hmac.New(sha256.New, key(7))
	m.Write([]byte("flaskgo/session seal v1"))
	id := sha256.Sum256(m.Sum(nil))
	if !bytes.Equal(raw[1:5], id[:4]) {
		t.Errorf("key id = %x, want %x", raw[1:5], id[:4])
	}
	// session does not compress: header + inner header + body + tag.
	if want := 17 + 17 + len(session) + 16; len(raw) != want {
		t.Errorf("sealed length = %d, want %d", len(raw), want)
	}
	// The plaintext must not be visible.
	if bytes.Contains(raw, []byte("csrf_token")) {
		t.Error("plaintext visible in token")
	}
}

// Seal never compresses, however compressible the plaintext: the token's
// length is the plaintext's plus a constant. Open still reads a token
// sealed with the zlib flag by an earlier version.
func TestNeverCompresses(t *testing.T) {
	big := bytes.Repeat([]byte(`{"sku":"A-1","qty":1},`), 500)
	s := mustNew(t, key(1))
	tok := s.Seal(big, t0, time.Time{})
	if want := base64.RawURLEncoding.EncodedLen(17 + 17 + len(big) + 16); len(tok) != want {
		t.Errorf("token is %d chars, want %d (uncompressed)", len(tok), want)
	}
	old := sealZlib(s, big)
	for _, tok := range []string{tok, old} {
		if got, _, _, err := s.AcceptUnboundUntil(t0.Add(time.Hour)).Open(tok, t0); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("Open: %v", err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	oldS := mustNew(t, key(1))
	rotated := mustNew(t, key(2), key(1))
	newOnly := mustNew(t, key(2))

	tok := oldS.Seal(session, t0, t0.Add(time.Hour))
	if p, _, idx, err := rotated.Open(tok, t0); err != nil || idx != 1 || !bytes.Equal(p, session) {
		t.Fatalf("old token with [new, old]: idx %d, err %v", idx, err)
	}
	if _, _, _, err := newOnly.Open(tok, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old token with [new]: err = %v, want ErrUnknownKey", err)
	}
	tok = rotated.Seal(session, t0, t0.Add(time.Hour))
	if _, _, idx, err := newOnly.Open(tok, t0); err != nil || idx != 0 {
		t.Fatalf("new token with [new]: idx %d, err %v", idx, err)
	}
	if _, _, _, err := oldS.Open(tok, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("new token with [old]: err = %v, want ErrUnknownKey", err)
	}
}

// TestSameKeyIDDifferentKey forges a token that names a configured key id
// but was sealed with another key: authentication must fail.
func TestSameKeyIDDifferentKey(t *testing.T) {
	victim := mustNew(t, key(1))
	attacker := mustNew(t, key(9))
	raw, _ := base64.RawURLEncoding.DecodeString(attacker.Seal(session, t0, time.Time{}))
	copy(raw[1:5], victim.keys[0].id[:])
	// Re-seal the attacker's token with the victim's id as additional data,
	// so that only the key differs.
	out := attacker.keys[0].aead.Seal(append([]byte(nil), raw[:17]...), raw[5:17], mustOpenInner(t, attacker, raw), raw[:17])
	_, _, _, err := victim.Open(base64.RawURLEncoding.EncodeToString(out), t0)
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
}

func mustOpenInner(t *testing.T, s *Sealer, raw []byte) []byte {
	t.Helper()
	hdr := append([]byte(nil), raw[:17]...)
	copy(hdr[1:5], s.keys[0].id[:])
	inner, err := s.keys[0].aead.Open(nil, raw[5:17], raw[17:], hdr)
	if err != nil {
		t.Fatal(err)
	}
	return inner
}

func TestDuplicateKeys(t *testing.T) {
	// The same key twice shares an id; Open must still work and report the
	// first.
	s := mustNew(t, key(3), key(3))
	if _, _, idx, err := s.Open(s.Seal(session, t0, time.Time{}), t0); err != nil || idx != 0 {
		t.Fatalf("idx %d, err %v", idx, err)
	}
}

func TestTamperEveryPosition(t *testing.T) {
	s := mustNew(t, key(1))
	for _, p := range [][]byte{session, bytes.Repeat([]byte("ab"), 300)} {
		tok := s.Seal(p, t0, t0.Add(time.Hour))
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for i := 0; i < len(tok); i++ {
			for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], alphabet[(strings.IndexByte(alphabet, tok[i])+32)%64], '\n', '.', '='} {
				bad := tok[:i] + string(c) + tok[i+1:]
				if _, _, _, err := s.Open(bad, t0); err == nil {
					t.Fatalf("token changed at %d to %q opened", i, c)
				}
			}
			// Insertion, not only replacement.
			if _, _, _, err := s.Open(tok[:i]+"\n"+tok[i:], t0); err == nil {
				t.Fatalf("token with a line break at %d opened", i)
			}
		}
		// Flipping any bit of the raw bytes fails authentication or parsing.
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		for i := range raw {
			for bit := 0; bit < 8; bit++ {
				raw[i] ^= 1 << bit
				_, _, _, err := s.Open(base64.RawURLEncoding.EncodeToString(raw), t0)
				raw[i] ^= 1 << bit
				switch {
				case err == nil:
					t.Fatalf("bit %d of byte %d flipped: opened", bit, i)
				case i >= 17 && !errors.Is(err, ErrDecrypt):
					t.Fatalf("bit %d of byte %d flipped: err = %v, want ErrDecrypt", bit, i, err)
				}
			}
		}
	}
}

func TestTruncated(t *testing.T) {
	s := mustNew(t, key(1))
	tok := s.Seal(session, t0, t0.Add(time.Hour))
	for n := 0; n < len(tok); n++ {
		_, _, _, err := s.Open(tok[:n], t0)
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("prefix of %d chars: err = %v", n, err)
		}
	}
	if _, _, _, err := s.Open(tok+"A", t0); err == nil {
		t.Fatal("token with an extra character opened")
	}
}

func TestMalformed(t *testing.T) {
	s := mustNew(t, key(1))
	raw, _ := base64.RawURLEncoding.DecodeString(s.Seal(session, t0, time.Time{}))
	v3 := append([]byte(nil), raw...)
	v3[0] = 3
	for name, tok := range map[string]string{
		"empty":          "",
		"too long":       strings.Repeat("A", MaxTokenLen+1),
		"padding":        base64.URLEncoding.EncodeToString(raw[:len(raw)-1]),
		"std alphabet":   strings.Repeat("+/", 40),
		"signed cookie":  "eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8",
		"version 3":      base64.RawURLEncoding.EncodeToString(v3),
		"header only":    base64.RawURLEncoding.EncodeToString(raw[:17]),
		"one byte short": base64.RawURLEncoding.EncodeToString(raw[:17+17+16-1]),
	} {
		if _, _, _, err := s.Open(tok, t0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestExpiry(t *testing.T) {
	s := mustNew(t, key(1))
	exp := t0.Add(time.Hour)
	tok := s.Seal(session, t0, exp)
	tests := []struct {
		now time.Time
		err error
	}{
		{t0, nil},
		{exp.Add(-time.Second), nil},
		{exp, nil},
		{exp.Add(999 * time.Millisecond), nil},
		{exp.Add(time.Second), ErrExpired},
		{exp.Add(1000 * time.Hour), ErrExpired},
	}
	for _, tt := range tests {
		_, iat, _, err := s.Open(tok, tt.now)
		if !errors.Is(err, tt.err) {
			t.Errorf("now = exp%+v: err = %v, want %v", tt.now.Sub(exp), err, tt.err)
		}
		if !iat.Equal(t0) {
			t.Errorf("issuedAt = %v, want %v", iat, t0)
		}
	}
	never := s.Seal(session, t0, time.Time{})
	if _, _, _, err := s.Open(never, t0.Add(100*365*24*time.Hour)); err != nil {
		t.Errorf("zero expiry: %v", err)
	}
	// Sub-second issue times are truncated, as in Flask.
	_, iat, _, _ := s.Open(s.Seal(session, t0.Add(700*time.Millisecond), time.Time{}), t0)
	if !iat.Equal(t0) {
		t.Errorf("issuedAt = %v, want %v", iat, t0)
	}
}

// TestInflateLimit builds an authentic token around a zip bomb, which only a
// key holder can do, and checks that Open refuses it.
func TestInflateLimit(t *testing.T) {
	s := mustNew(t, key(1))
	for _, n := range []int{MaxPlaintextLen, MaxPlaintextLen + 1} {
		tok := sealZlib(s, make([]byte, n))
		p, _, _, err := s.AcceptUnboundUntil(t0.Add(time.Hour)).Open(tok, t0)
		if n <= MaxPlaintextLen && (err != nil || len(p) != n) {
			t.Errorf("n=%d: len %d, err %v", n, len(p), err)
		}
		if n > MaxPlaintextLen && !errors.Is(err, ErrMalformed) {
			t.Errorf("n=%d: err = %v, want ErrMalformed", n, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mustNew(t, key(1), key(2))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				p := []byte(fmt.Sprintf("g%d i%d %s", g, i, strings.Repeat("x", i)))
				got, _, _, err := s.Open(s.Seal(p, t0, time.Time{}), t0)
				if err != nil || !bytes.Equal(got, p) {
					errs <- fmt.Errorf("g%d i%d: %v", g, i, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sealZlib seals plaintext compressed, with the zlib flag, as a version 1
// token: what versions before Seal stopped compressing made.
func sealZlib(s *Sealer, plaintext []byte) string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(plaintext)
	zw.Close()
	inner := make([]byte, innerLen, innerLen+z.Len())
	inner[0] = flagZlib
	binary.BigEndian.PutUint64(inner[1:], uint64(t0.Unix()))
	return sealRawVersion(s, versionV1, append(inner, z.Bytes()...))
}

func TestPurposeBinding(t *testing.T) {
	a := mustNew(t, key(1)).WithPurpose("cookie a")
	b := mustNew(t, key(1)).WithPurpose("cookie b")
	tok := a.Seal(session, t0, time.Time{})
	if got, _, _, err := a.Open(tok, t0); err != nil || !bytes.Equal(got, session) {
		t.Fatalf("same purpose: %v", err)
	}
	if _, _, _, err := b.Open(tok, t0); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another purpose, same key: err = %v, want ErrDecrypt", err)
	}
	if _, _, _, err := mustNew(t, key(1)).Open(tok, t0); !errors.Is(err, ErrDecrypt) {
		t.Errorf("no purpose: err = %v, want ErrDecrypt", err)
	}
}

func TestUnboundVersion1Window(t *testing.T) {
	s := mustNew(t, key(1)).WithPurpose("cookie a")
	inner := make([]byte, innerLen, innerLen+len(session))
	binary.BigEndian.PutUint64(inner[1:], uint64(t0.Unix()))
	old := sealRawVersion(s, versionV1, append(inner, session...))
	if _, _, _, err := s.Open(old, t0); !errors.Is(err, ErrMalformed) {
		t.Errorf("v1 token without a window: err = %v, want ErrMalformed", err)
	}
	w := s.AcceptUnboundUntil(t0.Add(time.Hour))
	if got, _, _, err := w.Open(old, t0); err != nil || !bytes.Equal(got, session) {
		t.Errorf("v1 token inside the window: %q, %v", got, err)
	}
	if _, _, _, err := w.Open(old, t0.Add(2*time.Hour)); !errors.Is(err, ErrMalformed) {
		t.Errorf("v1 token after the window: err = %v, want ErrMalformed", err)
	}
}
