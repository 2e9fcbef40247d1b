package taggedjson

import (
	"unicode"
	"unicode/utf8"
)

// This file holds the small pieces of CPython's str and int behaviour that
// Flask's untagging relies on (uuid.UUID(), email.utils date parsing). They
// only run on the slow path for tagged values.

// isPySpace reports whether Python's str.isspace() is true for r
// (the set used by str.split() and by int()).
func isPySpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0d, r >= 0x1c && r <= 0x20:
		return true
	case r < 0x80:
		return false
	}
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// pyDecimal returns the value of r if it is a Unicode decimal digit
// (general category Nd, what Python's int() accepts).
func pyDecimal(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	// Nd code points come in runs of ten that start at a zero digit, and the
	// range table keeps each run (or several adjacent runs) in one range.
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// pyNonDecimalDigits lists the code points for which Python's str.isdigit()
// is true although they are not decimal digits (superscripts, circled
// digits, ...), taken from Python 3.11 (Unicode 14).
var pyNonDecimalDigits = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0xB2, 0xB3, 1}, {0xB9, 0xB9, 1}, {0x1369, 0x1371, 1}, {0x19DA, 0x19DA, 1},
		{0x2070, 0x2070, 1}, {0x2074, 0x2079, 1}, {0x2080, 0x2089, 1}, {0x2460, 0x2468, 1},
		{0x2474, 0x247C, 1}, {0x2488, 0x2490, 1}, {0x24EA, 0x24EA, 1}, {0x24F5, 0x24FD, 1},
		{0x24FF, 0x24FF, 1}, {0x2776, 0x277E, 1}, {0x2780, 0x2788, 1}, {0x278A, 0x2792, 1},
	},
	R32: []unicode.Range32{
		{0x10A40, 0x10A43, 1}, {0x10E60, 0x10E68, 1}, {0x11052, 0x1105A, 1}, {0x1F100, 0x1F10A, 1},
	},
}

// pyIsDigit reports whether Python's str.isdigit() is true for r.
func pyIsDigit(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.Is(unicode.Nd, r) || unicode.Is(pyNonDecimalDigits, r)
}

// pyIntDigits parses s as Python's int(s, base) does for base 10 or 16:
// surrounding whitespace, a sign, for base 16 an optional 0x prefix, and
// digits with single underscores between them; Unicode decimal digits
// count as digits. It appends the digit values (most significant first,
// leading zeros kept) to dst.
func pyIntDigits(s string, base int, dst []byte) (neg bool, digits []byte, ok bool) {
	// CPython first maps non-ASCII whitespace to ' ' and non-ASCII decimal
	// digits to ASCII digits; anything else non-ASCII (and DEL) is invalid.
	var tmp [64]byte
	t := tmp[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x7f {
			t = append(t, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isPySpace(r):
			t = append(t, ' ')
		default:
			d, isDec := pyDecimal(r)
			if !isDec {
				return false, dst, false
			}
			t = append(t, byte('0'+d))
		}
	}
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	lo, hi := 0, len(t)
	for lo < hi && isSpace(t[lo]) {
		lo++
	}
	for hi > lo && isSpace(t[hi-1]) {
		hi--
	}
	t = t[lo:hi]
	if len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 16 && len(t) >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
		if len(t) > 0 && t[0] == '_' {
			t = t[1:]
		}
	}
	if len(t) == 0 || t[0] == '_' {
		return false, dst, false
	}
	digits = dst
	prevUnderscore := false
	for _, c := range t {
		var v byte
		switch {
		case c == '_':
			if prevUnderscore {
				return false, dst, false
			}
			prevUnderscore = true
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case base == 16 && c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case base == 16 && c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return false, dst, false
		}
		prevUnderscore = false
		digits = append(digits, v)
	}
	if prevUnderscore {
		return false, dst, false
	}
	return neg, digits, true
}

// pyMaxStrDigits is CPython's default limit on decimal digits in int(str)
// (sys.get_int_max_str_digits()); it does not apply to base 16.
const pyMaxStrDigits = 4300

// pyInt10 parses s like Python's int(s). ok is false where Python raises
// ValueError. fits is false when the value does not fit in an int64, and
// then v is only its sign (+1 or -1).
func pyInt10(s string) (v int64, fits, ok bool) {
	var buf [32]byte
	neg, digits, ok := pyIntDigits(s, 10, buf[:0])
	if !ok || len(digits) > pyMaxStrDigits {
		return 0, false, false
	}
	for len(digits) > 1 && digits[0] == 0 {
		digits = digits[1:]
	}
	var u uint64
	for _, d := range digits {
		if u > (1<<63)/10 {
			return sign(neg), false, true
		}
		u = u*10 + uint64(d)
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), true, true
	case !neg && u < 1<<63:
		return int64(u), true, true
	}
	return sign(neg), false, true
}

func sign(neg bool) int64 {
	if neg {
		return -1
	}
	return 1
}

// pyLowerASCII returns the lower-cased form of s when Python's s.lower()
// is pure ASCII; otherwise ok is false (such a string can never equal one of
// the ASCII names it is compared with). The result is written into buf.
func pyLowerASCII(s string, buf []byte) ([]byte, bool) {
	out := buf[:0]
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r+'a'-'A'))
		case r < 0x80:
			out = append(out, byte(r))
		case r == 0x212a: // KELVIN SIGN
			out = append(out, 'k')
		default:
			return nil, false
		}
	}
	return out, true
}

// pyUpperASCII is pyLowerASCII for Python's s.upper(), including the
// special casings that expand to ASCII letters (ß -> SS, ﬆ -> ST, ...).
func pyUpperASCII(s string, buf []byte) ([]byte, bool) {
	out := buf[:0]
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, byte(r-('a'-'A')))
		case r < 0x80:
			out = append(out, byte(r))
		case r == 0xdf:
			out = append(out, "SS"...)
		case r == 0x131:
			out = append(out, 'I')
		case r == 0x17f:
			out = append(out, 'S')
		case r >= 0xfb00 && r <= 0xfb06:
			out = append(out, [...]string{"FF", "FI", "FL", "FFI", "FFL", "ST", "ST"}[r-0xfb00]...)
		default:
			return nil, false
		}
	}
	return out, true
}
