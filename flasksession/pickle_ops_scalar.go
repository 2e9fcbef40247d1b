package flasksession

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"
)

// scalarOp runs opcodes that push one scalar: None, booleans, ints, floats, str and bytes.
func (u *unpickler) scalarOp(c byte) error {
	switch c {
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'I': // INT, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		switch s {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			v, err := u.textInt(s)
			if err != nil {
				return err
			}
			u.push(v)
		}
	case 'L': // LONG, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		v, err := u.textInt(strings.TrimSuffix(s, "L"))
		if err != nil {
			return err
		}
		u.push(v)
	case 'J': // BININT
		x, err := u.uint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(x))))
	case 'K': // BININT1
		x, err := u.uint(1)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 'M': // BININT2
		x, err := u.uint(2)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 0x8a, 0x8b: // LONG1, LONG4
		var n uint64
		var err error
		if c == 0x8a {
			n, err = u.uint(1)
		} else {
			n, err = u.uint(4)
			if err == nil && int32(uint32(n)) < 0 {
				return u.fail(ErrSyntax, "LONG pickle has negative byte count")
			}
		}
		if err != nil {
			return err
		}
		// Refuse by size before any conversion: Python itself refuses ints
		// of more than 4300 decimal digits (about 1786 bytes) in text.
		if n > maxLongBytes {
			return u.fail(ErrUnsupportedValue, "integer of %d bytes: more than %d decimal digits", n, maxIntDigits)
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 'F': // FLOAT, text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		f, err := u.textFloat(s)
		if err != nil {
			return err
		}
		u.push(f)
	case 'G': // BINFLOAT
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case 'V': // UNICODE, raw-unicode-escape text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		v, err := u.rawUnicodeEscape(s)
		if err != nil {
			return err
		}
		u.push(v)
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		n, err := u.uint(sizeWidth(c))
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return u.fail(ErrUnsupportedValue, "string is not valid UTF-8 (a lone surrogate has no Go counterpart)")
		}
		u.push(string(b))
	case 'S': // STRING, Python 2 str as quoted text
		s, err := u.readLine()
		if err != nil {
			return err
		}
		if len(s) < 2 || s[0] != s[len(s)-1] || (s[0] != '\'' && s[0] != '"') {
			return u.fail(ErrSyntax, "the STRING opcode argument must be quoted")
		}
		b, err := u.escapeDecode(s[1 : len(s)-1])
		if err != nil {
			return err
		}
		v, err := u.asciiString(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'T', 'U': // BINSTRING, SHORT_BINSTRING
		var n uint64
		var err error
		if c == 'U' {
			n, err = u.uint(1)
		} else {
			n, err = u.uint(4)
			if err == nil && int32(uint32(n)) < 0 {
				return u.fail(ErrSyntax, "BINSTRING pickle has negative byte count")
			}
		}
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		v, err := u.asciiString(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		n, err := u.uint(sizeWidth(c))
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(append([]byte{}, b...))

	}
	return nil
}
