package signer

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = []byte("public-test-secret-1")

// plainPayload does not compress and gives a 161-byte token, a typical
// login session; compressiblePayload compresses well (a shopping cart).
var (
	plainPayload        = `{"_fresh":true,"_user_id":"42","csrf_token":"Kq3XzT7pLm2vN8bR-Yw4","lang":"en","theme":"dark"}`
	compressiblePayload = `{"cart":[` + strings.Repeat(`{"sku":"A-1","qty":1},`, 20) + `0]}`
)

// refSign is an independent implementation of itsdangerous signing with the
// "hmac" key derivation, written with fresh crypto/hmac objects.
func refSign(h func() hash.Hash, secret []byte, salt, msg string) string {
	kdf := hmac.New(h, secret)
	kdf.Write([]byte(salt))
	m := hmac.New(h, kdf.Sum(nil))
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signed returns msg + "." + refSign(msg) with Flask's cookie scheme.
func signed(secret []byte, msg string) string {
	return msg + "." + refSign(sha1.New, secret, DefaultSalt, msg)
}

// isCompressed reports whether the payload segment carries the "." marker.
func isCompressed(tok string) bool {
	p, err := split(tok)
	return err == nil && p.compress
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func zlibBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(p)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Config
	}{
		{"no keys", Config{}},
		{"empty first key", Config{Keys: [][]byte{{}}}},
		{"empty fallback", Config{Keys: [][]byte{testKey, nil}}},
		{"digest too large", Config{Keys: [][]byte{testKey}, Digest: func() hash.Hash { return bigHash{sha256.New()} }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := New(tt.c); err == nil {
				t.Fatalf("New = %v, nil; want error", s)
			}
		})
	}
}

// bigHash reports a digest size no HMAC in the standard library has.
type bigHash struct{ hash.Hash }

func (bigHash) Size() int { return 65 }

func TestTimestampEncoding(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	tests := []struct {
		sec  int64
		text string
	}{
		{0, ""},
		{1, "AQ"},
		{255, "_w"},
		{1700000000, "ZVPxAA"},
		{1<<32 - 1, "_____w"},
		{1 << 32, "AQAAAAA"},
		{1 << 40, "AQAAAAAA"},
		{1<<63 - 1, "f_________8"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.sec), func(t *testing.T) {
			tok := s.Encode([]byte(`{"a":1}`), time.Unix(tt.sec, 0))
			want := signed(testKey, "eyJhIjoxfQ."+tt.text)
			if tok != want {
				t.Fatalf("Encode = %s, want %s", tok, want)
			}
			_, at, _, err := s.Decode(tok, 0, time.Unix(tt.sec, 0))
			if err != nil || at.Unix() != tt.sec {
				t.Fatalf("Decode = %d, %v; want %d", at.Unix(), err, tt.sec)
			}
		})
	}
	// Before 1970 there is no itsdangerous encoding; Encode clamps to 0.
	if tok := s.Encode([]byte(`{"a":1}`), time.Unix(-5, 0)); tok != signed(testKey, "eyJhIjoxfQ.") {
		t.Errorf("Encode(-5) = %s", tok)
	}
}

func TestTimestampParsing(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000100, 0)
	tests := []struct {
		name string
		ts   string // timestamp segment text
		want int64
		err  error
	}{
		{"minimal", "ZVPxAA", 1700000000, nil},
		{"extra leading zero byte", b64([]byte{0, 0x65, 0x53, 0xf1, 0}), 1700000000, nil},
		{"eight bytes", b64([]byte{0, 0, 0, 0, 0x65, 0x53, 0xf1, 0}), 1700000000, nil},
		{"nine bytes", b64([]byte{0, 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0}), 0, ErrMalformed},
		{"beyond int64", b64([]byte{0x80, 0, 0, 0, 0, 0, 0, 0}), 0, ErrMalformed},
		{"not base64", "ZVP+AA", 0, ErrMalformed},
		{"length 1 mod 4", "ZVPxA", 0, ErrMalformed},
		{"padding", "ZVPxAA==", 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signed(testKey, "eyJhIjoxfQ."+tt.ts)
			_, at, _, err := s.Decode(tok, 0, now)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && at.Unix() != tt.want {
				t.Fatalf("signedAt = %d, want %d", at.Unix(), tt.want)
			}
		})
	}
}

func TestAge(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	const signedAt = 1700000000
	tok := s.Encode([]byte(`{"a":1}`), time.Unix(signedAt, 0))
	const maxAge = 3600 * time.Second
	tests := []struct {
		name   string
		now    time.Time
		maxAge time.Duration
		err    error
	}{
		{"fresh", time.Unix(signedAt, 0), maxAge, nil},
		{"boundary", time.Unix(signedAt+3600, 0), maxAge, nil},
		{"boundary, sub-second now", time.Unix(signedAt+3600, 999999999), maxAge, nil},
		{"one second late", time.Unix(signedAt+3601, 0), maxAge, ErrExpired},
		{"fractional max age truncates", time.Unix(signedAt+3601, 0), maxAge + 999*time.Millisecond, ErrExpired},
		{"one second early", time.Unix(signedAt-1, 0), maxAge, ErrFuture},
		{"no age check, future", time.Unix(signedAt-1000, 0), 0, nil},
		{"no age check, old", time.Unix(signedAt+1e9, 0), -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _, err := s.Decode(tok, tt.maxAge, tt.now)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && string(p) != `{"a":1}` {
				t.Fatalf("payload = %q", p)
			}
		})
	}
	_, _, _, err := s.Decode(tok, maxAge, time.Unix(signedAt-1, 0))
	if !errors.Is(err, ErrExpired) || !errors.Is(err, ErrFuture) {
		t.Fatalf("future: err = %v; want both ErrFuture and ErrExpired", err)
	}
	_, _, _, err = s.Decode(tok, maxAge, time.Unix(signedAt+3601, 0))
	if errors.Is(err, ErrFuture) {
		t.Fatalf("expired: err = %v must not match ErrFuture", err)
	}
}

// TestWrongSchemes signs the same text with schemes Flask does not use; none
// may verify.
func TestWrongSchemes(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	msg := "eyJhIjoxfQ.ZVPxAA"
	sha1Of := func(parts ...string) []byte {
		h := sha1.New()
		for _, p := range parts {
			h.Write([]byte(p))
		}
		return h.Sum(nil)
	}
	mac := func(key []byte, msg string) string {
		m := hmac.New(sha1.New, key)
		m.Write([]byte(msg))
		return b64(m.Sum(nil))
	}
	swapped := hmac.New(sha1.New, []byte(DefaultSalt)) // key and salt swapped
	swapped.Write(testKey)
	tests := map[string]string{
		"swapped key and salt":    mac(swapped.Sum(nil), msg),
		"concat derivation":       mac(sha1Of(DefaultSalt, string(testKey)), msg),
		"django-concat":           mac(sha1Of(DefaultSalt, "signer", string(testKey)), msg),
		"no derivation":           mac(testKey, msg),
		"wrong salt":              refSign(sha1.New, testKey, "itsdangerous", msg),
		"sha256 truncated to 160": b64(func() []byte { m := hmac.New(sha256.New, testKey); m.Write([]byte(msg)); return m.Sum(nil)[:20] }()),
	}
	if good := refSign(sha1.New, testKey, DefaultSalt, msg); tests["swapped key and salt"] == good {
		t.Fatal("test setup: swapped derivation equals the real one")
	}
	for name, sig := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, _, err := s.Decode(msg+"."+sig, 0, time.Unix(1700000000, 0))
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
		})
	}
	// And the real scheme verifies, so the failures above are meaningful.
	if _, _, _, err := s.Decode(signed(testKey, msg), 0, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey, otherKey := []byte("key-2023"), []byte("key-2024"), []byte("key-2025")
	old := mustNew(t, Config{Keys: [][]byte{oldKey}})
	rotated := mustNew(t, Config{Keys: [][]byte{newKey, otherKey, oldKey}})
	now := time.Unix(1700000000, 0)

	tok := old.Encode([]byte(`{"a":1}`), now)
	if _, _, idx, err := rotated.Decode(tok, time.Hour, now); err != nil || idx != 2 {
		t.Fatalf("old token under rotated keys: idx %d, err %v; want 2, nil", idx, err)
	}
	tok = rotated.Encode([]byte(`{"a":1}`), now)
	if _, _, idx, err := rotated.Decode(tok, time.Hour, now); err != nil || idx != 0 {
		t.Fatalf("new token: idx %d, err %v; want 0, nil", idx, err)
	}
	if _, _, _, err := old.Decode(tok, time.Hour, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("new token under old key: err %v, want ErrBadSignature", err)
	}
	v := old.SignValue("sid")
	if got, idx, err := rotated.VerifyValue(v); err != nil || got != "sid" || idx != 2 {
		t.Fatalf("VerifyValue: %q, %d, %v", got, idx, err)
	}
}

func TestMalformed(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000000, 0)
	good := s.Encode([]byte(`{"a":1}`), now)
	tests := []struct {
		name, tok string
		err       error
	}{
		{"empty", "", ErrMalformed},
		{"no dot", "eyJhIjoxfQ", ErrMalformed},
		{"one dot", "eyJhIjoxfQ.ZVPxAA", ErrMalformed},
		{"too long", strings.Repeat("A", MaxTokenLen-20) + "." + good, ErrMalformed},
		{"empty signature", "eyJhIjoxfQ.ZVPxAA.", ErrBadSignature},
		{"short signature", good[:len(good)-1], ErrBadSignature},
		{"long signature", good + "A", ErrBadSignature},
		{"padded signature", good + "=", ErrBadSignature},
		{"newline in signature", good[:len(good)-2] + "\n" + good[len(good)-1:], ErrBadSignature},
		{"non-ascii signature", good[:len(good)-2] + "é", ErrBadSignature},
		{"extra segment", strings.Replace(good, ".", ".AAAA.", 1), ErrBadSignature},
		{"dots only", "..", ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := s.Decode(tt.tok, 0, now)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
	if _, _, _, err := s.Decode(good, 0, now); err != nil {
		t.Fatalf("good token: %v", err)
	}
	for _, tok := range []string{"", "abc", "sid", strings.Repeat("a", MaxTokenLen+1)} {
		if _, _, err := s.VerifyValue(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("VerifyValue(%.20q): err = %v, want ErrMalformed", tok, err)
		}
	}
}

func TestPayloadDecoding(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000000, 0)
	json := []byte(`{"k":"` + strings.Repeat("v", 200) + `"}`)
	z := zlibBytes(t, json)
	var gz, raw bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(json)
	gw.Close()
	fw, _ := flate.NewWriter(&raw, 6)
	fw.Write(json)
	fw.Close()
	badSum := append([]byte(nil), z...)
	badSum[len(badSum)-1] ^= 1
	exact := bytes.Repeat([]byte("x"), MaxPayloadLen)
	tests := []struct {
		name    string
		payload string // payload segment, with the compression marker
		want    []byte
		err     error
	}{
		{"plain", b64(json), json, nil},
		{"empty", "", []byte{}, nil},
		{"compressed", "." + b64(z), json, nil},
		{"compressed, trailing bytes ignored", "." + b64(append(append([]byte(nil), z...), "junk"...)), json, nil},
		{"compressed at max size", "." + b64(zlibBytes(t, exact)), exact, nil},
		{"zip bomb", "." + b64(zlibBytes(t, make([]byte, MaxPayloadLen+1))), nil, ErrBadPayload},
		{"marker without zlib", ".eyJhIjoxfQ", nil, ErrBadPayload},
		{"marker, empty", ".", nil, ErrBadPayload},
		{"two markers", ".." + b64(z), nil, ErrBadPayload},
		{"gzip framing", "." + b64(gz.Bytes()), nil, ErrBadPayload},
		{"raw deflate", "." + b64(raw.Bytes()), nil, ErrBadPayload},
		{"truncated zlib", "." + b64(z[:len(z)-5]), nil, ErrBadPayload},
		{"bad checksum", "." + b64(badSum), nil, ErrBadPayload},
		{"not base64", "abcde", nil, ErrBadPayload},
		{"standard alphabet", "ab+/", nil, ErrBadPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signed(testKey, tt.payload+".ZVPxAA")
			p, _, _, err := s.Decode(tok, 0, now)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !bytes.Equal(p, tt.want) {
				t.Fatalf("payload = %.60q, want %.60q", p, tt.want)
			}
			up, _, uerr := DecodeUnverified(tok)
			if !errors.Is(uerr, tt.err) || !bytes.Equal(up, tt.want) {
				t.Fatalf("DecodeUnverified = %.60q, %v", up, uerr)
			}
		})
	}
}

func TestEncodeCompression(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000000, 0)
	sc := new(scratch)
	for _, n := range []int{0, 1, 9, 10, 11, 12, 13, 50, 1000, 100000} {
		p := bytes.Repeat([]byte("a"), n)
		tok := s.Encode(p, now)
		// Flask's rule: compress iff it saves at least 2 bytes.
		wantCompressed := n > 9 && len(sc.deflate(p)) < n-1
		if n >= 50 && !wantCompressed || n <= 9 && wantCompressed {
			t.Fatalf("n=%d: deflate length %d is implausible", n, len(sc.deflate(p)))
		}
		if got := isCompressed(tok); got != wantCompressed {
			t.Errorf("n=%d: compressed = %v, want %v", n, got, wantCompressed)
		}
		back, _, _, err := s.Decode(tok, 0, now)
		if err != nil || !bytes.Equal(back, p) {
			t.Errorf("n=%d: round trip: %v", n, err)
		}
	}
	// Random bytes do not compress.
	p := make([]byte, 500)
	rand.Read(p)
	if tok := s.Encode(p, now); isCompressed(tok) || len(tok) != 667+1+6+1+27 {
		t.Errorf("random payload: len %d, %.10q", len(tok), tok)
	}
}

// TestRandomTokensNeverVerify feeds well-formed tokens with random
// signatures; none may verify.
func TestRandomTokensNeverVerify(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey, []byte("k2")}})
	now := time.Unix(1700000000, 0)
	base := s.Encode([]byte(`{"user_id":42}`), now)
	signedPart := base[:strings.LastIndexByte(base, '.')]
	sig := make([]byte, 20)
	for i := 0; i < 20000; i++ {
		rand.Read(sig)
		tok := signedPart + "." + b64(sig)
		if tok == base {
			continue
		}
		if _, _, _, err := s.Decode(tok, 0, now); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("random signature %s: err = %v", tok, err)
		}
	}
	// Flipping any bit of the signing input breaks the signature too.
	for i := 0; i < len(signedPart); i++ {
		for _, c := range []byte{'A', 'a', '0', '-', '_', '.'} {
			if signedPart[i] == c {
				continue
			}
			tok := signedPart[:i] + string(c) + signedPart[i+1:] + base[len(signedPart):]
			if _, _, _, err := s.Decode(tok, 0, now); err == nil {
				t.Fatalf("tampered token %s verified", tok)
			}
		}
	}
}

// TestTrailingBits: like Python, unused low bits of the last signature
// character are ignored; a reader that compared text would reject these.
func TestTrailingBits(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	tok := s.Encode([]byte(`{"a":1}`), time.Unix(1700000000, 0))
	last := tok[len(tok)-1]
	v := b64Val[last]
	alt := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[v^1]
	if _, _, _, err := s.Decode(tok[:len(tok)-1]+string(alt), 0, time.Unix(1700000000, 0)); err != nil {
		t.Fatalf("signature with different unused bits: %v", err)
	}
}

func TestDecodeB64MatchesStdlib(t *testing.T) {
	for n := 0; n < 70; n++ {
		b := make([]byte, n)
		rand.Read(b)
		s := b64(b)
		dst := make([]byte, decodedLen(len(s)))
		m, ok := decodeB64(dst, s)
		if !ok || !bytes.Equal(dst[:m], b) {
			t.Fatalf("n=%d: decodeB64(%q) = %x, %v", n, s, dst[:m], ok)
		}
	}
	for _, s := range []string{"A", "AAAAA", "AA=", "AA\n", "AA+A", "AA/A", "A A", "AB.C"} {
		if _, ok := decodeB64(make([]byte, 8), s); ok {
			t.Errorf("decodeB64(%q) accepted", s)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mustNew(t, Config{Keys: [][]byte{testKey, []byte("old")}})
	now := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				p := []byte(fmt.Sprintf(`{"g":%d,"i":%d,"pad":%q}`, g, i, strings.Repeat("x", i)))
				tok := s.Encode(p, now)
				back, _, _, err := s.Decode(tok, time.Hour, now)
				if err != nil || !bytes.Equal(back, p) {
					errs <- fmt.Errorf("g%d i%d: %v", g, i, err)
					return
				}
				if v, _, err := s.VerifyValue(s.SignValue(string(p))); err != nil || v != string(p) {
					errs <- fmt.Errorf("g%d i%d: VerifyValue: %v", g, i, err)
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

func TestAllocations(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and the race detector change allocation counts")
	}
	s := mustNew(t, Config{Keys: [][]byte{testKey}})
	now := time.Unix(1700000000, 0)
	plain := s.Encode([]byte(plainPayload), now)
	compressed := s.Encode([]byte(compressiblePayload), now)
	if !isCompressed(compressed) || isCompressed(plain) {
		t.Fatal("test setup: compression not as expected")
	}
	for name, tok := range map[string]string{"plain": plain, "compressed": compressed} {
		s.Decode(tok, time.Hour, now) // warm the pools
		n := testing.AllocsPerRun(200, func() {
			if _, _, _, err := s.Decode(tok, time.Hour, now); err != nil {
				t.Fatal(err)
			}
		})
		// One allocation: the returned payload.
		if n > 1 {
			t.Errorf("Decode %s: %.1f allocations per run, want 1", name, n)
		}
	}
	for name, p := range map[string][]byte{"plain": []byte(plainPayload), "compressed": []byte(compressiblePayload)} {
		s.Encode(p, now)
		n := testing.AllocsPerRun(200, func() { s.Encode(p, now) })
		// One allocation: the returned string.
		if n > 1 {
			t.Errorf("Encode %s: %.1f allocations per run, want 1", name, n)
		}
	}
}

func TestPeek(t *testing.T) {
	s, err := New(Config{Keys: [][]byte{[]byte("k")}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1700000000, 0).UTC()
	small := s.Encode([]byte(`{"a":1}`), at)
	// A zlib bomb: a few hundred bytes of token, 1 MB of payload.
	bomb := s.Encode(bytes.Repeat([]byte("["), 1<<20), at)
	if bomb[0] != '.' || len(bomb) > 4096 {
		t.Fatalf("bomb token: compressed %v, %d bytes", bomb[0] == '.', len(bomb))
	}
	cases := []struct {
		name      string
		token     string
		want      string
		truncated bool
	}{
		{"small", small, `{"a":1}`, false},
		{"limit cuts", small, `{"a"`, true},
		{"bomb", bomb, strings.Repeat("[", 100), true},
	}
	for _, tc := range cases {
		limit := 100
		if tc.name == "limit cuts" {
			limit = 4
		}
		got, truncated, signedAt, err := Peek(tc.token, limit)
		if err != nil || string(got) != tc.want || truncated != tc.truncated || !signedAt.Equal(at) {
			t.Errorf("%s: Peek = %q, %v, %v, %v", tc.name, got, truncated, signedAt, err)
		}
	}
	if _, _, _, err := Peek("no-dots", 10); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed: %v", err)
	}
}

func TestMayContain(t *testing.T) {
	s, _ := New(Config{Keys: [][]byte{[]byte("k")}})
	at := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		token string
		want  bool
	}{
		{"", false},
		{s.Encode([]byte(`{"_permanent":true}`), at), true},
		{s.Encode([]byte(`{"a":1}`), at), false},
		{".compressed.x.y", true},                             // only a full decode can tell
		{s.Encode(bytes.Repeat([]byte("a"), 2000), at), true}, // too long to look at
	} {
		if got := MayContain(tc.token, "_permanent"); got != tc.want {
			t.Errorf("MayContain(%.30q) = %v, want %v", tc.token, got, tc.want)
		}
	}
}
