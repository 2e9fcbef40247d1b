package signer

// decodeB64 decodes unpadded base64url text into dst, which must hold
// decodedLen(len(s)) bytes. Unlike encoding/base64 it reads a string without
// copying it to a []byte, and it rejects CR and LF instead of skipping them,
// so every accepted byte of a token is meaningful. Like Python (and
// encoding/base64 without Strict) it ignores the unused low bits of the last
// character; Flask never writes non-zero bits there.
func decodeB64(dst []byte, s string) (int, bool) {
	if len(s)%4 == 1 {
		return 0, false
	}
	n := 0
	for len(s) >= 4 {
		a, b, c, d := b64Val[s[0]], b64Val[s[1]], b64Val[s[2]], b64Val[s[3]]
		if a|b|c|d == 0xff {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
		s = s[4:]
	}
	switch len(s) {
	case 2:
		a, b := b64Val[s[0]], b64Val[s[1]]
		if a|b == 0xff {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		n++
	case 3:
		a, b, c := b64Val[s[0]], b64Val[s[1]], b64Val[s[2]]
		if a|b|c == 0xff {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6
		dst[n], dst[n+1] = byte(v>>16), byte(v>>8)
		n += 2
	}
	return n, true
}

// decodedLen is the number of bytes n characters of unpadded base64 hold.
func decodedLen(n int) int { return n/4*3 + (n%4*6)/8 }

// b64Val maps a base64url character to its 6-bit value; 0xff marks bytes
// outside the alphabet. OR-ing values stays below 0x40 unless one is 0xff.
var b64Val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()
