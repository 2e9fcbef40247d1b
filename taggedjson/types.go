package taggedjson

import (
	"errors"
	"fmt"
	"strings"
)

// Tuple is a Python tuple. Flask tags it as {" t": [...]}; flash messages
// are stored as Tuple{category, message}.
type Tuple []any

// Markup is markupsafe.Markup: text that is already safe HTML. Flask tags
// it as {" m": "..."} and keeps the text verbatim.
type Markup string

// UUID is a Python uuid.UUID. Flask tags it as {" u": "<32 hex digits>"}.
type UUID [16]byte

// ErrInvalidUUID is returned by ParseUUID (and wrapped by UUID.UnmarshalText)
// for text that Python's uuid.UUID() rejects.
var ErrInvalidUUID = errors.New("taggedjson: invalid UUID")

const hexDigits = "0123456789abcdef"

// String returns the canonical 8-4-4-4-12 lower-case form, as Python's
// str(uuid) does.
func (u UUID) String() string {
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(b[:])
}

// appendHex appends the 32 lower-case hex digits Flask writes (uuid.hex).
func (u UUID) appendHex(dst []byte) []byte {
	for _, c := range u {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// MarshalText implements encoding.TextMarshaler with the String form, so a
// UUID inside a struct (which goes through encoding/json) becomes a string.
func (u UUID) MarshalText() ([]byte, error) {
	return []byte(u.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseUUID.
func (u *UUID) UnmarshalText(text []byte) error {
	v, err := ParseUUID(string(text))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ParseUUID parses s exactly as Python's uuid.UUID(s) does: it removes every
// "urn:" and "uuid:", then braces at both ends and all hyphens, requires 32
// characters and reads them as a base-16 Python integer (so upper case,
// surrounding whitespace, a sign, a 0x prefix and underscores between
// digits are all accepted, as long as the value fits in 128 bits).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) == 32 && isHex32(s) { // the form Flask writes
		for i := 0; i < 16; i++ {
			u[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
		}
		return u, nil
	}
	h := strings.ReplaceAll(s, "urn:", "")
	h = strings.ReplaceAll(h, "uuid:", "")
	h = strings.Trim(h, "{}")
	h = strings.ReplaceAll(h, "-", "")
	if n := len([]rune(h)); n != 32 {
		return u, fmt.Errorf("%w %q: badly formed hexadecimal UUID string", ErrInvalidUUID, s)
	}
	var buf [40]byte
	neg, digits, ok := pyIntDigits(h, 16, buf[:0])
	if !ok {
		return u, fmt.Errorf("%w %q: invalid literal for int() with base 16", ErrInvalidUUID, s)
	}
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
	}
	if neg && len(digits) > 0 {
		return u, fmt.Errorf("%w %q: int is out of range (need a 128-bit value)", ErrInvalidUUID, s)
	}
	// At most 32 characters remain, so at most 32 digits: always < 2**128.
	for i, j := len(digits)-1, 15*2+1; i >= 0; i, j = i-1, j-1 {
		if j%2 == 1 {
			u[j/2] |= digits[i]
		} else {
			u[j/2] |= digits[i] << 4
		}
	}
	return u, nil
}

func isHex32(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) == 0xff {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}
