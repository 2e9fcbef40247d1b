package flasksession

import (
	"math/big"
	"strconv"
	"strings"
)

// textInt parses the argument of INT and LONG: a decimal integer.
func (u *unpickler) textInt(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || len(digits) > maxIntDigits || strings.Trim(digits, "0123456789") != "" {
		return nil, u.fail(ErrSyntax, "invalid integer %.64q", s)
	}
	b, _ := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	return b, nil
}

func (u *unpickler) textFloat(s string) (float64, error) {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
	default:
		if s == "" || strings.Trim(s, "0123456789+-.eE") != "" {
			return 0, u.fail(ErrSyntax, "invalid float %.64q", s)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, u.fail(ErrSyntax, "invalid float %.64q", s)
	}
	return f, nil
}

// decodeLong reads a little-endian two's complement integer (LONG1/LONG4).
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var x uint64
		for k := len(b) - 1; k >= 0; k-- {
			x = x<<8 | uint64(b[k])
		}
		if n := len(b); n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			x |= ^uint64(0) << (8 * n) // sign-extend
		}
		return int64(x)
	}
	be := make([]byte, len(b))
	for k := range b {
		be[len(b)-1-k] = b[k]
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

// rawUnicodeEscape decodes Python's raw-unicode-escape codec (protocol 0
// UNICODE): bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX
// after an odd number of backslashes.
func (u *unpickler) rawUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for k := 0; k < len(s); {
		if s[k] != '\\' {
			b.WriteRune(rune(s[k]))
			k++
			continue
		}
		run := k
		for k < len(s) && s[k] == '\\' {
			k++
		}
		n := k - run
		if n%2 == 0 || k >= len(s) || (s[k] != 'u' && s[k] != 'U') {
			b.WriteString(s[run:k])
			continue
		}
		b.WriteString(s[run : k-1])
		width := 4
		if s[k] == 'U' {
			width = 8
		}
		k++
		if k+width > len(s) {
			return "", u.fail(ErrSyntax, "truncated \\uXXXX escape")
		}
		r, err := strconv.ParseUint(s[k:k+width], 16, 32)
		if err != nil || strings.ContainsAny(s[k:k+width], "+-_") {
			return "", u.fail(ErrSyntax, "truncated \\uXXXX escape")
		}
		if r > unicode10FFFF {
			return "", u.fail(ErrSyntax, "\\Uxxxxxxxx out of range")
		}
		if r >= 0xd800 && r <= 0xdfff {
			return "", u.fail(ErrUnsupportedValue, "string holds a lone surrogate, which has no Go counterpart")
		}
		b.WriteRune(rune(r))
		k += width
	}
	return b.String(), nil
}

const unicode10FFFF = 0x10ffff

// escapeDecode undoes Python's string escapes (codecs.escape_decode), the
// form of protocol 0's STRING argument.
func (u *unpickler) escapeDecode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		k++
		if k >= len(s) {
			return nil, u.fail(ErrSyntax, "trailing \\ in string")
		}
		switch c = s[k]; c {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, 11)
		case 'x':
			if k+3 > len(s) {
				return nil, u.fail(ErrSyntax, "invalid \\x escape")
			}
			x, err := strconv.ParseUint(s[k+1:k+3], 16, 8)
			if err != nil || strings.ContainsAny(s[k+1:k+3], "+-_") {
				return nil, u.fail(ErrSyntax, "invalid \\x escape")
			}
			out = append(out, byte(x))
			k += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			x := int(c - '0')
			for j := 0; j < 2 && k+1 < len(s) && s[k+1] >= '0' && s[k+1] <= '7'; j++ {
				k++
				x = x*8 + int(s[k]-'0')
			}
			out = append(out, byte(x))
		default:
			out = append(out, '\\', c)
		}
	}
	return out, nil
}

// asciiString is Python 3's default decoding of a Python 2 str.
func (u *unpickler) asciiString(b []byte) (string, error) {
	for _, c := range b {
		if c >= 0x80 {
			return "", u.fail(ErrUnsupportedValue, "Python 2 str with non-ASCII bytes (Python 3 refuses it too)")
		}
	}
	return string(b), nil
}
