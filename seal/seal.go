// Package seal encrypts and authenticates cookie values with AES-256-GCM.
//
// A sealed token hides the session from the client, unlike Flask's signed
// cookie, whose payload anyone can read. It is an opt-in alternative: Flask
// cannot read it.
//
// Token layout, base64url without padding (only A-Z a-z 0-9 - _):
//
//	version (1 byte, 2) | key id (4) | nonce (12) | AES-256-GCM ciphertext and tag
//
// The GCM additional data is those first 17 bytes followed by the Sealer's
// purpose (WithPurpose; the session Manager uses its cookie name), so none
// of them can be changed without detection, and a token sealed for one
// purpose does not open for another that shares the key. Version 1 tokens,
// from before purposes were bound, have only the 17 bytes as additional data;
// Open accepts them only while AcceptUnboundUntil allows. The plaintext
// inside the ciphertext is
//
//	flags (1; bit 0 = zlib) | issued-at (8, Unix s) | expires (8, Unix s; 0 = never) | body
//
// Seal never compresses: compressing before encrypting makes the token's
// length depend on its content, and when attacker-chosen text sits next to
// a secret in one session, watching the length leaks the secret (CRIME).
// Open still reads the zlib flag of tokens sealed by earlier versions,
// inflating at most MaxPlaintextLen bytes, and only after authentication.
//
// Keeping the times inside the ciphertext means a client can neither read
// nor extend them.
//
// Each secret key must hold at least 32 bytes of entropy (for example 32
// bytes from crypto/rand, or a 43-character base64 string of them); a
// password is not a key. The AES key is derived as HMAC-SHA256(secret,
// "flaskgo/session seal v1"), and the key id is the first 4 bytes of SHA-256
// of that derived key, so Open goes straight to the right key during a key
// rotation and an unknown key is reported as such.
//
// Nonces are random. With 96-bit random nonces, one key should seal fewer
// than about 2^32 tokens; rotate keys long before that.
//
// A Sealer is safe for concurrent use.
package seal

import (
	"bytes"
	"compress/zlib"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

const (
	// MinKeyLen is the shortest secret key New accepts, in bytes.
	MinKeyLen = 32

	// MaxTokenLen is the longest token Open looks at.
	MaxTokenLen = 64 << 10

	// MaxPlaintextLen caps the size of an inflated plaintext.
	MaxPlaintextLen = 1 << 20

	version    = 2
	versionV1  = 1 // unbound: additional data without the purpose
	idLen      = 4
	nonceLen   = 12
	headerLen  = 1 + idLen + nonceLen
	tagLen     = 16
	innerLen   = 1 + 8 + 8
	minSealed  = headerLen + innerLen + tagLen
	flagZlib   = 1
	kdfContext = "flaskgo/session seal v1"
)

// Errors returned by Open. They are wrapped with detail; match them with
// errors.Is.
var (
	// ErrMalformed means the token is not a sealed token of a known version,
	// or its authenticated content is unusable.
	ErrMalformed = errors.New("seal: malformed token")

	// ErrUnknownKey means the token names a key id none of the configured
	// keys has: it was sealed with a retired or foreign key.
	ErrUnknownKey = errors.New("seal: token sealed with an unknown key")

	// ErrDecrypt means authentication failed: the token was altered, or
	// forged.
	ErrDecrypt = errors.New("seal: token failed authentication")

	// ErrExpired means the token is authentic but its expiry has passed.
	ErrExpired = errors.New("seal: token expired")
)

// Sealer seals and opens tokens with a fixed set of keys.
type Sealer struct {
	keys         []sealKey
	purpose      []byte
	unboundUntil time.Time // version 1 tokens open before this instant
}

type sealKey struct {
	id   [idLen]byte
	aead cipher.AEAD
}

// New returns a Sealer. keys[0] seals; every key opens. Each key must be at
// least MinKeyLen bytes of secret.
func New(keys [][]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no keys configured")
	}
	s := &Sealer{keys: make([]sealKey, len(keys))}
	for i, secret := range keys {
		if len(secret) < MinKeyLen {
			return nil, fmt.Errorf("seal: keys[%d] is %d bytes, need at least %d", i, len(secret), MinKeyLen)
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(kdfContext))
		dk := m.Sum(nil)
		block, err := aes.NewCipher(dk)
		if err != nil {
			return nil, fmt.Errorf("seal: keys[%d]: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: keys[%d]: %w", i, err)
		}
		sum := sha256.Sum256(dk)
		copy(s.keys[i].id[:], sum[:idLen])
		s.keys[i].aead = aead
	}
	return s, nil
}

// WithPurpose returns a Sealer with the same keys whose tokens are bound to
// purpose: a token opens only with a Sealer of the same purpose.
func (s *Sealer) WithPurpose(purpose string) *Sealer {
	c := *s
	c.purpose = []byte(purpose)
	return &c
}

// AcceptUnboundUntil returns a Sealer with the same keys and purpose that
// also opens version 1 tokens, sealed before purposes were bound, while now
// is before t: the rotation window after an upgrade. Such tokens open for
// any purpose; after t they are ErrMalformed.
func (s *Sealer) AcceptUnboundUntil(t time.Time) *Sealer {
	c := *s
	c.unboundUntil = t
	return &c
}

// additionalData is the GCM additional data of a token with this header.
func (s *Sealer) additionalData(header []byte) []byte {
	if header[0] == versionV1 {
		return header
	}
	return append(header[:len(header):len(header)], s.purpose...)
}

// Seal encrypts plaintext and returns a URL- and cookie-safe token. issuedAt
// (now) and expires are stored inside the ciphertext in whole seconds; a zero
// expires means the token does not expire. The plaintext is never
// compressed (see the package documentation).
//
// Seal panics only if the operating system's random source fails, since
// sealing with a non-random nonce would be unsafe.
func (s *Sealer) Seal(plaintext []byte, now, expires time.Time) string {
	body, flags := plaintext, byte(0)
	var exp int64
	if !expires.IsZero() {
		exp = expires.Unix()
	}

	out := make([]byte, headerLen, headerLen+innerLen+len(body)+tagLen)
	k := &s.keys[0]
	out[0] = version
	copy(out[1:], k.id[:])
	nonce := out[1+idLen : headerLen]
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic("seal: crypto/rand failed: " + err.Error())
	}
	inner := out[headerLen : headerLen+innerLen]
	inner[0] = flags
	binary.BigEndian.PutUint64(inner[1:], uint64(now.Unix()))
	binary.BigEndian.PutUint64(inner[9:], uint64(exp))
	inner = append(inner, body...)
	// Seal in place: the inner plaintext starts right after the header.
	out = k.aead.Seal(out[:headerLen], nonce, inner, s.additionalData(out[:headerLen]))
	return base64.RawURLEncoding.EncodeToString(out)
}

// Open authenticates and decrypts a token made by Seal with one of the
// Sealer's keys, and returns the plaintext, the time it was sealed, and the
// index of the key that opened it. A token whose expiry is before now, in
// whole seconds, is ErrExpired (a token is still valid during its expiry
// second).
func (s *Sealer) Open(token string, now time.Time) (plaintext []byte, issuedAt time.Time, keyIndex int, err error) {
	if len(token) > MaxTokenLen {
		return nil, time.Time{}, -1, fmt.Errorf("%w: token is %d bytes, limit %d", ErrMalformed, len(token), MaxTokenLen)
	}
	// encoding/base64 skips CR and LF even in strict mode; reject anything
	// outside the alphabet so that every token byte is authenticated.
	for i := 0; i < len(token); i++ {
		if !isB64URL(token[i]) {
			return nil, time.Time{}, -1, fmt.Errorf("%w: byte %d is not base64url", ErrMalformed, i)
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return nil, time.Time{}, -1, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) < minSealed {
		return nil, time.Time{}, -1, fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(raw), minSealed)
	}
	switch {
	case raw[0] == version:
	case raw[0] == versionV1 && now.Before(s.unboundUntil):
	case raw[0] == versionV1:
		return nil, time.Time{}, -1, fmt.Errorf("%w: version 1 token (not bound to a purpose) outside the AcceptUnboundUntil window", ErrMalformed)
	default:
		return nil, time.Time{}, -1, fmt.Errorf("%w: unknown version %d", ErrMalformed, raw[0])
	}
	header, nonce, ct := raw[:headerLen], raw[1+idLen:headerLen], raw[headerLen:]

	var inner []byte
	keyIndex = -1
	known := false
	for i := range s.keys {
		k := &s.keys[i]
		if !bytes.Equal(k.id[:], raw[1:1+idLen]) {
			continue
		}
		known = true
		// Decrypt into a fresh buffer: ct must stay intact in case a second
		// key shares the id.
		if pt, err := k.aead.Open(nil, nonce, ct, s.additionalData(header)); err == nil {
			inner, keyIndex = pt, i
			break
		}
	}
	if !known {
		return nil, time.Time{}, -1, fmt.Errorf("%w: key id %x", ErrUnknownKey, raw[1:1+idLen])
	}
	if keyIndex < 0 {
		return nil, time.Time{}, -1, ErrDecrypt
	}

	flags := inner[0]
	issuedAt = time.Unix(int64(binary.BigEndian.Uint64(inner[1:])), 0).UTC()
	exp := int64(binary.BigEndian.Uint64(inner[9:]))
	body := inner[innerLen:]
	if flags&^flagZlib != 0 || raw[0] == version && flags != 0 {
		return nil, issuedAt, -1, fmt.Errorf("%w: unknown flags %#x", ErrMalformed, flags)
	}
	if exp != 0 && now.Unix() > exp {
		return nil, issuedAt, -1, fmt.Errorf("%w: expired at %s", ErrExpired, time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	if flags&flagZlib != 0 {
		body, err = inflate(body)
		if err != nil {
			return nil, issuedAt, -1, err
		}
	}
	return body, issuedAt, keyIndex, nil
}

func isB64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// zlibReaders pools decompressors (about 40 KiB each); a reader whose
// Reset failed is still fine for the next Reset.
var zlibReaders sync.Pool

func inflate(z []byte) ([]byte, error) {
	br := bytes.NewReader(z)
	var r io.ReadCloser
	var err error
	if pooled, ok := zlibReaders.Get().(io.ReadCloser); ok {
		r, err = pooled, pooled.(zlib.Resetter).Reset(br, nil)
	} else {
		r, err = zlib.NewReader(br)
	}
	if r != nil {
		defer zlibReaders.Put(r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxPlaintextLen+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	if len(out) > MaxPlaintextLen {
		return nil, fmt.Errorf("%w: plaintext exceeds %d bytes", ErrMalformed, MaxPlaintextLen)
	}
	return out, nil
}
