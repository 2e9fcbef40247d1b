// Package signer signs and verifies tokens in the format of itsdangerous, the
// library behind Flask's default session cookie.
//
// A timed token (Flask's session cookie, itsdangerous' URLSafeTimedSerializer
// without the JSON step) looks like
//
//	[.]payload.timestamp.signature
//
// where payload is the base64url text of the (optionally zlib-compressed)
// payload bytes, a leading "." marks compression, timestamp is the base64url
// text of the signing time in seconds and signature is the base64url text of
// an HMAC over everything before the last dot. An untimed token (itsdangerous'
// Signer, used by Flask-Session for signed session ids) is value.signature.
//
// Signing keys are derived the way itsdangerous' "hmac" key derivation does:
// DK = HMAC(key = secret, message = salt). The digest defaults to SHA-1 and
// the salt to "cookie-session", which is what Flask uses. The wire format is
// specified in docs/spec/flask-cookie-format.md at the repository's root.
//
// A Signer is safe for concurrent use.
package signer

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultSalt is the salt Flask uses for its session cookie.
	DefaultSalt = "cookie-session"

	// MaxTokenLen is the longest token Decode, DecodeUnverified and
	// VerifyValue look at. Browsers keep cookies of at most about 4 KiB, so
	// anything much longer is junk and is rejected before any hashing.
	MaxTokenLen = 64 << 10

	// MaxPayloadLen caps the size of an inflated payload, so that a small
	// compressed token cannot make the reader allocate without bound.
	MaxPayloadLen = 1 << 20

	// maxDigestSize is the largest HMAC output supported; it lets signature
	// bytes live in fixed-size stack buffers. SHA-512 is the largest digest in
	// the standard library.
	maxDigestSize = 64

	// maxTimestampChars is the base64url length of 8 bytes, the most a
	// timestamp may hold.
	maxTimestampChars = 11
)

// Errors returned by the Signer. They are wrapped with detail; match them
// with errors.Is.
var (
	// ErrMalformed means the token does not have the shape of a signed token
	// (missing separators, bad timestamp text, too long) and was not checked
	// further.
	ErrMalformed = errors.New("signer: malformed token")

	// ErrBadSignature means the signature does not match under any key.
	ErrBadSignature = errors.New("signer: bad signature")

	// ErrExpired means the signature is valid but older than the allowed age.
	ErrExpired = errors.New("signer: signature expired")

	// ErrFuture means the signature is valid but its timestamp lies after
	// now. itsdangerous reports this case as SignatureExpired, so
	// errors.Is(err, ErrExpired) is also true for it.
	ErrFuture error = &childError{msg: "signer: signature timestamp is in the future", parent: ErrExpired}

	// ErrBadPayload means the signature is valid but the payload is not valid
	// base64url or not a valid zlib stream, or inflates beyond MaxPayloadLen.
	// Only a holder of a signing key can produce such a token.
	ErrBadPayload = errors.New("signer: bad payload")
)

// childError is a sentinel that also matches a more general sentinel.
type childError struct {
	msg    string
	parent error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.parent }

// Config configures a Signer.
type Config struct {
	// Keys are the secret keys. Keys[0] signs; every key verifies, tried in
	// order. List the current key first, then the fallbacks from newest to
	// oldest (this is the order in which Flask ≥ 3.1.1 tries SECRET_KEY and
	// SECRET_KEY_FALLBACKS). A text key is used as its UTF-8 bytes. Keys must
	// not be empty: an empty HMAC key is known to everybody.
	Keys [][]byte

	// Salt is mixed into the key derivation. Empty means DefaultSalt. Flask's
	// session cookie uses "cookie-session"; Flask-Session's signed session ids
	// use "flask-session".
	Salt string

	// Digest is the hash for both key derivation and signing. Nil means SHA-1,
	// which is what Flask uses. Its output may be at most 64 bytes.
	Digest func() hash.Hash

	// MinCompressLen: payloads shorter than this many bytes are never
	// compressed. Zero applies Flask's rule (compress when it saves at least
	// 2 bytes) at every size. A small session then costs no deflate to write
	// and no inflate to read, for a slightly longer cookie; Flask reads both.
	MinCompressLen int
}

// Signer signs and verifies itsdangerous tokens with a fixed set of keys.
type Signer struct {
	keys    []*derivedKey
	sigSize int // digest output size in bytes
	sigLen  int // length of the base64url signature text

	minCompressLen int
}

// derivedKey is one derived signing key with a pool of HMAC states keyed with
// it: hmac.New hashes the key pads on every call, which would dominate the
// cost of verifying a short cookie.
type derivedKey struct {
	pool sync.Pool // of *macState
}

// macState is an HMAC keyed with one derived key plus scratch space, so that
// computing a MAC allocates nothing.
type macState struct {
	h     hash.Hash
	sum   [maxDigestSize]byte
	chunk [256]byte // string-to-bytes staging: hash.Hash only takes []byte
}

// New derives the signing keys and returns a Signer.
func New(c Config) (*Signer, error) {
	if len(c.Keys) == 0 {
		return nil, errors.New("signer: no keys configured")
	}
	salt := c.Salt
	if salt == "" {
		salt = DefaultSalt
	}
	newHash := c.Digest
	if newHash == nil {
		newHash = sha1.New
	}
	size := newHash().Size()
	if size <= 0 || size > maxDigestSize {
		return nil, fmt.Errorf("signer: digest size %d not supported (at most %d bytes)", size, maxDigestSize)
	}
	s := &Signer{
		keys:    make([]*derivedKey, len(c.Keys)),
		sigSize: size,
		sigLen:  base64.RawURLEncoding.EncodedLen(size),

		minCompressLen: c.MinCompressLen,
	}
	for i, secret := range c.Keys {
		if len(secret) == 0 {
			return nil, fmt.Errorf("signer: Keys[%d] is empty", i)
		}
		kdf := hmac.New(newHash, secret)
		kdf.Write([]byte(salt))
		dk := kdf.Sum(nil)
		k := &derivedKey{}
		k.pool.New = func() any { return &macState{h: hmac.New(newHash, dk)} }
		s.keys[i] = k
	}
	return s, nil
}

// mac computes the HMAC of msg under key k into st.sum and returns it. The
// caller returns st to k.pool when done with the result.
func (k *derivedKey) mac(msg string) (*macState, []byte) {
	st := k.pool.Get().(*macState)
	st.h.Reset()
	for len(msg) > 0 {
		n := copy(st.chunk[:], msg)
		st.h.Write(st.chunk[:n])
		msg = msg[n:]
	}
	return st, st.h.Sum(st.sum[:0])
}

// macBytes is mac for a message already held as bytes.
func (k *derivedKey) macBytes(msg []byte) (*macState, []byte) {
	st := k.pool.Get().(*macState)
	st.h.Reset()
	st.h.Write(msg)
	return st, st.h.Sum(st.sum[:0])
}

// verify reports the index of the first key whose MAC of msg equals sig, or
// -1. Each comparison takes constant time; the loop stops at the first
// match, as itsdangerous does, because which key matched is not secret.
func (s *Signer) verify(msg string, sig []byte) int {
	for i, k := range s.keys {
		st, want := k.mac(msg)
		ok := hmac.Equal(want, sig)
		k.pool.Put(st)
		if ok {
			return i
		}
	}
	return -1
}

// checkSignature decodes the signature text and verifies it over msg.
func (s *Signer) checkSignature(msg, sigText string) (int, error) {
	// Only canonical-length signatures are accepted. itsdangerous would also
	// accept trailing "=" or junk characters it skips; Flask never writes
	// those (the vectors tag them "lenient").
	if len(sigText) != s.sigLen {
		return -1, fmt.Errorf("%w: signature is %d characters, want %d", ErrBadSignature, len(sigText), s.sigLen)
	}
	var sig [maxDigestSize]byte
	n, ok := decodeB64(sig[:], sigText)
	if !ok || n != s.sigSize {
		return -1, fmt.Errorf("%w: signature is not base64url", ErrBadSignature)
	}
	idx := s.verify(msg, sig[:n])
	if idx < 0 {
		return -1, fmt.Errorf("%w: no key matches", ErrBadSignature)
	}
	return idx, nil
}

// parts is a timed token split from the right.
type parts struct {
	signed    string // everything before the last '.': the signing input
	sig       string
	timestamp string
	payload   string // payload text, compression marker removed
	compress  bool
}

func split(token string) (parts, error) {
	var p parts
	if token == "" {
		return p, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	if len(token) > MaxTokenLen {
		return p, fmt.Errorf("%w: token is %d bytes, limit %d", ErrMalformed, len(token), MaxTokenLen)
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return p, fmt.Errorf("%w: no signature separator", ErrMalformed)
	}
	p.signed, p.sig = token[:i], token[i+1:]
	j := strings.LastIndexByte(p.signed, '.')
	if j < 0 {
		return p, fmt.Errorf("%w: timestamp missing", ErrMalformed)
	}
	p.payload, p.timestamp = p.signed[:j], p.signed[j+1:]
	if strings.HasPrefix(p.payload, ".") {
		p.payload, p.compress = p.payload[1:], true
	}
	return p, nil
}

// parseTimestamp decodes the timestamp segment: base64url of a big-endian
// unsigned integer of at most 8 bytes, leading zero bytes optional. An empty
// segment is 0, as in itsdangerous.
func parseTimestamp(text string) (time.Time, error) {
	if len(text) > maxTimestampChars {
		return time.Time{}, fmt.Errorf("%w: timestamp longer than 8 bytes", ErrMalformed)
	}
	var buf [9]byte
	n, ok := decodeB64(buf[:], text)
	if !ok || n > 8 {
		return time.Time{}, fmt.Errorf("%w: timestamp is not valid base64url", ErrMalformed)
	}
	var ts uint64
	for _, b := range buf[:n] {
		ts = ts<<8 | uint64(b)
	}
	if ts > 1<<63-1 {
		// Python would accept it (and fail the age check); time.Time cannot
		// hold it as seconds, and no honest writer produces it.
		return time.Time{}, fmt.Errorf("%w: timestamp %d out of range", ErrMalformed, ts)
	}
	return time.Unix(int64(ts), 0).UTC(), nil
}

// checkAge applies itsdangerous' rule 0 <= now - ts <= maxAge in whole
// seconds (now truncated, as Python's int(time.time())).
func checkAge(signedAt time.Time, maxAge time.Duration, now time.Time) error {
	if maxAge <= 0 {
		return nil
	}
	ts, sec := signedAt.Unix(), now.Unix()
	if ts > sec {
		return fmt.Errorf("%w: signed %d s after now", ErrFuture, uint64(ts-sec))
	}
	// ts >= 0 and sec >= ts, so the difference cannot overflow.
	if age, max := sec-ts, int64(maxAge/time.Second); age > max {
		return fmt.Errorf("%w: signed %d s ago, max age %d s", ErrExpired, age, max)
	}
	return nil
}

// Decode verifies a timed token and returns its payload bytes (inflated when
// the token is compressed), the signing time, and the index in Config.Keys of
// the key that verified it.
//
// The order of checks follows itsdangerous: the signature over everything
// before the last dot is verified first (ErrBadSignature), then the
// timestamp is parsed (ErrMalformed) and the age checked: 0 <= now-signedAt
// <= maxAge, in whole seconds (ErrExpired, or ErrFuture for a timestamp after
// now). maxAge <= 0 turns the age check off; Flask always applies it, with
// PERMANENT_SESSION_LIFETIME. Finally the payload is decoded (ErrBadPayload).
// A token without two dots or longer than MaxTokenLen is ErrMalformed
// without any hashing.
func (s *Signer) Decode(token string, maxAge time.Duration, now time.Time) (payload []byte, signedAt time.Time, keyIndex int, err error) {
	p, err := split(token)
	if err != nil {
		return nil, time.Time{}, -1, err
	}
	keyIndex, err = s.checkSignature(p.signed, p.sig)
	if err != nil {
		return nil, time.Time{}, -1, err
	}
	signedAt, err = parseTimestamp(p.timestamp)
	if err != nil {
		return nil, time.Time{}, -1, err
	}
	if err := checkAge(signedAt, maxAge, now); err != nil {
		return nil, signedAt, -1, err
	}
	payload, err = decodePayload(p.payload, p.compress)
	if err != nil {
		return nil, signedAt, -1, err
	}
	return payload, signedAt, keyIndex, nil
}

// MayContain reports whether the payload of the timed token could contain
// text. It is false only when token is an uncompressed token whose payload
// certainly lacks text. It reads the unverified payload with bounded work
// and no allocation: a payload of more than 576 bytes, or a compressed one,
// is not looked at (true).
func MayContain(token, text string) bool {
	if token == "" || token[0] == '.' {
		return token != ""
	}
	payload, _, _ := strings.Cut(token, ".")
	var buf [768]byte
	if base64.RawURLEncoding.DecodedLen(len(payload)) > len(buf) {
		return true
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(payload))
	return err != nil || bytes.Contains(buf[:n], []byte(text))
}

// DecodeUnverified returns the payload and signing time of a timed token
// without checking its signature or age. It is for inspecting cookies
// without the key; never trust what it returns. It inflates up to
// MaxPayloadLen: to show a cookie from an untrusted client, use Peek.
func DecodeUnverified(token string) (payload []byte, signedAt time.Time, err error) {
	p, err := split(token)
	if err != nil {
		return nil, time.Time{}, err
	}
	signedAt, err = parseTimestamp(p.timestamp)
	if err != nil {
		return nil, time.Time{}, err
	}
	payload, err = decodePayload(p.payload, p.compress)
	if err != nil {
		return nil, signedAt, err
	}
	return payload, signedAt, nil
}

// Peek returns at most limit bytes of the payload of a timed token, and
// its signing time, without checking the signature or age: for showing an
// untrusted cookie. Unlike DecodeUnverified it never inflates more than
// limit+1 bytes, so a small compressed token cannot make it do large work;
// truncated reports that the payload is longer than limit.
func Peek(token string, limit int) (payload []byte, truncated bool, signedAt time.Time, err error) {
	p, err := split(token)
	if err != nil {
		return nil, false, time.Time{}, err
	}
	if signedAt, err = parseTimestamp(p.timestamp); err != nil {
		return nil, false, time.Time{}, err
	}
	raw := make([]byte, decodedLen(len(p.payload)))
	n, ok := decodeB64(raw, p.payload)
	if !ok {
		return nil, false, signedAt, fmt.Errorf("%w: payload is not valid base64url", ErrBadPayload)
	}
	raw = raw[:n]
	if p.compress {
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, false, signedAt, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		if err != nil && len(raw) <= limit {
			return nil, false, signedAt, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
	}
	if len(raw) > limit {
		return raw[:limit], true, signedAt, nil
	}
	return raw, false, signedAt, nil
}

// Encode signs payload at time now and returns the token. The payload is
// zlib-compressed (level 6) when that saves at least 2 bytes, which is
// Flask's rule; because Go's deflate differs from C zlib, compressed tokens
// (and, rarely, the decision to compress) differ from Flask's bytes while
// remaining valid for Flask. Times before 1970 are signed as 0.
func (s *Signer) Encode(payload []byte, now time.Time) string {
	return s.encode(payload, now, true)
}

func (s *Signer) encode(payload []byte, now time.Time, allowCompress bool) string {
	sc := scratchPool.Get().(*scratch)
	defer putScratch(sc)

	data, compressed := payload, false
	// zlib output is at least 8 bytes (header, empty block, checksum), so a
	// payload of 9 bytes or fewer can never save 2 bytes.
	if allowCompress && len(payload) > 9 && len(payload) >= s.minCompressLen {
		if z := sc.deflate(payload); len(z) < len(payload)-1 {
			data, compressed = z, true
		}
	}

	sec := now.Unix()
	if sec < 0 {
		sec = 0
	}
	var tsb [8]byte
	binary.BigEndian.PutUint64(tsb[:], uint64(sec))
	ts := tsb[:]
	for len(ts) > 0 && ts[0] == 0 {
		ts = ts[1:]
	}

	enc := base64.RawURLEncoding
	n := enc.EncodedLen(len(data)) + 1 + enc.EncodedLen(len(ts)) + 1 + s.sigLen
	if compressed {
		n++
	}
	buf := sc.grow(n)
	w := 0
	if compressed {
		buf[w] = '.'
		w++
	}
	enc.Encode(buf[w:], data)
	w += enc.EncodedLen(len(data))
	buf[w] = '.'
	w++
	enc.Encode(buf[w:], ts)
	w += enc.EncodedLen(len(ts))

	k := s.keys[0]
	st, sum := k.macBytes(buf[:w])
	buf[w] = '.'
	w++
	enc.Encode(buf[w:], sum)
	k.pool.Put(st)
	return string(buf[:n])
}

// SignValue signs value with an untimed itsdangerous Signer and returns
// value + "." + signature. With Salt "flask-session" this is Flask-Session's
// signed session id (SESSION_USE_SIGNER).
func (s *Signer) SignValue(value string) string {
	k := s.keys[0]
	st, sum := k.mac(value)
	var sig [(maxDigestSize*8 + 5) / 6]byte
	base64.RawURLEncoding.Encode(sig[:], sum)
	k.pool.Put(st)
	var b strings.Builder
	b.Grow(len(value) + 1 + s.sigLen)
	b.WriteString(value)
	b.WriteByte('.')
	b.Write(sig[:s.sigLen])
	return b.String()
}

// VerifyValue checks an untimed value.signature token made by SignValue (or
// by itsdangerous' Signer with the same keys, salt and digest) and returns
// the value and the index of the key that verified it. The value may itself
// contain dots: the token is split at its last one.
func (s *Signer) VerifyValue(signed string) (value string, keyIndex int, err error) {
	if len(signed) > MaxTokenLen {
		return "", -1, fmt.Errorf("%w: token is %d bytes, limit %d", ErrMalformed, len(signed), MaxTokenLen)
	}
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", -1, fmt.Errorf("%w: no signature separator", ErrMalformed)
	}
	keyIndex, err = s.checkSignature(signed[:i], signed[i+1:])
	if err != nil {
		return "", -1, err
	}
	return signed[:i], keyIndex, nil
}

// decodePayload turns the payload text into bytes, inflating when compressed.
func decodePayload(text string, compressed bool) ([]byte, error) {
	if !compressed {
		out := make([]byte, decodedLen(len(text)))
		n, ok := decodeB64(out, text)
		if !ok {
			return nil, fmt.Errorf("%w: payload is not valid base64url", ErrBadPayload)
		}
		return out[:n], nil
	}
	sc := scratchPool.Get().(*scratch)
	defer putScratch(sc)
	z := sc.grow(decodedLen(len(text)))
	n, ok := decodeB64(z, text)
	if !ok {
		return nil, fmt.Errorf("%w: payload is not valid base64url", ErrBadPayload)
	}
	return sc.inflate(z[:n])
}

// scratch holds reusable buffers and zlib state. zlib writers in particular
// are costly to create (hundreds of KiB of tables).
type scratch struct {
	buf  []byte
	zbuf bytes.Buffer
	deflater
	br  bytes.Reader
	fr  io.ReadCloser // flate reader, reused through flate.Resetter
	out []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledBuf keeps one odd huge token from pinning memory in the pool.
const maxPooledBuf = 64 << 10

func putScratch(sc *scratch) {
	if cap(sc.buf) > maxPooledBuf {
		sc.buf = nil
	}
	if cap(sc.out) > maxPooledBuf {
		sc.out = nil
	}
	if sc.zbuf.Cap() > maxPooledBuf {
		sc.zbuf = bytes.Buffer{}
	}
	sc.br.Reset(nil)
	scratchPool.Put(sc)
}

func (sc *scratch) grow(n int) []byte {
	if cap(sc.buf) < n {
		sc.buf = make([]byte, n)
	}
	return sc.buf[:n]
}

// inflate decompresses a zlib stream (RFC 1950), refusing output beyond
// MaxPayloadLen. Bytes after the end of the stream are ignored, as Python's
// zlib does. The zlib framing is handled here rather than by compress/zlib,
// whose Reset allocates a fresh checksum state on every call.
func (sc *scratch) inflate(z []byte) ([]byte, error) {
	if len(z) < 2 {
		return nil, fmt.Errorf("%w: zlib: stream too short", ErrBadPayload)
	}
	cmf, flg := z[0], z[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 {
		return nil, fmt.Errorf("%w: zlib: %v", ErrBadPayload, zlib.ErrHeader)
	}
	if flg&0x20 != 0 {
		// Flask never uses a preset dictionary, and we would not know it.
		return nil, fmt.Errorf("%w: zlib: %v", ErrBadPayload, zlib.ErrDictionary)
	}
	body := z[2:]
	// A bytes.Reader is an io.ByteReader, so flate reads exactly up to the
	// end of the deflate stream and the trailer position is known after.
	sc.br.Reset(body)
	if sc.fr == nil {
		sc.fr = flate.NewReader(&sc.br)
	} else {
		sc.fr.(flate.Resetter).Reset(&sc.br, nil)
	}
	out := sc.out[:0]
	if cap(out) < 512 {
		out = make([]byte, 0, 512)
	}
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := sc.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > MaxPayloadLen {
			sc.out = out
			return nil, fmt.Errorf("%w: inflated payload exceeds %d bytes", ErrBadPayload, MaxPayloadLen)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			sc.out = out
			return nil, fmt.Errorf("%w: zlib: %v", ErrBadPayload, err)
		}
	}
	sc.out = out
	end := len(body) - sc.br.Len()
	if len(body)-end < 4 {
		return nil, fmt.Errorf("%w: zlib: %v", ErrBadPayload, io.ErrUnexpectedEOF)
	}
	if binary.BigEndian.Uint32(body[end:]) != adler32.Checksum(out) {
		return nil, fmt.Errorf("%w: zlib: %v", ErrBadPayload, zlib.ErrChecksum)
	}
	res := make([]byte, len(out))
	copy(res, out)
	return res, nil
}
