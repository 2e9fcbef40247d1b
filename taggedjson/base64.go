package taggedjson

import (
	"errors"
	"strconv"
)

var b64Values = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

var errB64NonASCII = errors.New("string argument should contain only ASCII characters")

// b64DecodeString is Python's base64.b64decode(str): ASCII only, then the
// lenient decoder.
func b64DecodeString(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, errB64NonASCII
		}
	}
	return pyB64Decode(s)
}

// pyB64Decode ports CPython 3.11's binascii.a2b_base64 in non-strict mode:
// characters outside the standard alphabet are skipped, '=' ends the data
// once enough of it completes a group, and a final partial group is an error.
func pyB64Decode[T string | []byte](s T) ([]byte, error) {
	out := make([]byte, 0, len(s)/4*3+3)
	quadPos, pads := 0, 0
	var left byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			if quadPos >= 2 {
				pads++
				if quadPos+pads >= 4 {
					return out, nil
				}
			}
			continue
		}
		v := b64Values[c]
		if v == 0xff {
			continue
		}
		pads = 0
		switch quadPos {
		case 0:
			quadPos, left = 1, v
		case 1:
			quadPos = 2
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			quadPos = 3
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			quadPos = 0
			out = append(out, left<<6|v)
			left = 0
		}
	}
	switch quadPos {
	case 0:
		return out, nil
	case 1:
		return nil, errors.New("invalid base64-encoded string: number of data characters (" +
			strconv.Itoa(len(out)/3*4+1) + ") cannot be 1 more than a multiple of 4")
	}
	return nil, errors.New("incorrect base64 padding")
}
