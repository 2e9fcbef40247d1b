package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// ErrCorrupt means a record file could not be decoded: it is truncated, has
// a wrong magic or checksum, or does not belong to the key it is stored
// under. Load reports it (wrapped); DeleteExpired removes such files.
var ErrCorrupt = errors.New("filestore: corrupt record file")

// ErrTooLarge means a record cannot be represented in the file format: a key
// or user id longer than 65535 bytes, or data of 4 GiB or more.
var ErrTooLarge = errors.New("filestore: record too large")

// File format, all integers big-endian:
//
//	offset  size  field
//	0       4     magic "FGS1"
//	4       8     version (uint64, never 0)
//	12      8     expires (int64 Unix nanoseconds)
//	20      2     user id length U
//	22      2     key length K
//	24      4     data length D
//	28      U     user id
//	28+U    K     key (so the user index can report keys; never used as a path)
//	28+U+K  D     data
//	end-4   4     CRC-32C of every byte before it
//
// The length fields and the checksum turn truncation and bit rot into
// ErrCorrupt instead of wrong data.
const (
	magic      = "FGS1"
	headerSize = 28
	sumSize    = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is a decoded file.
type record struct {
	version uint64
	expires int64 // Unix nanoseconds
	user    string
	key     string
	data    []byte
}

// unixNano converts t without the overflow of t.UnixNano: times past 2262
// are clamped, which for an expiry only means "a very long time".
func unixNano(t time.Time) int64 {
	switch {
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	case t.Before(time.Unix(0, 0)):
		return 0 // long expired; the exact moment does not matter
	}
	return t.UnixNano()
}

func (r *record) expiresTime() time.Time { return time.Unix(0, r.expires) }

// live reports whether the record has not expired at now.
func (r *record) live(now time.Time) bool { return r.expires > unixNano(now) }

func encode(r *record) ([]byte, error) {
	if len(r.user) > math.MaxUint16 || len(r.key) > math.MaxUint16 || uint64(len(r.data)) > math.MaxUint32 {
		return nil, ErrTooLarge
	}
	n := headerSize + len(r.user) + len(r.key) + len(r.data) + sumSize
	b := make([]byte, headerSize, n)
	copy(b, magic)
	binary.BigEndian.PutUint64(b[4:], r.version)
	binary.BigEndian.PutUint64(b[12:], uint64(r.expires))
	binary.BigEndian.PutUint16(b[20:], uint16(len(r.user)))
	binary.BigEndian.PutUint16(b[22:], uint16(len(r.key)))
	binary.BigEndian.PutUint32(b[24:], uint32(len(r.data)))
	b = append(b, r.user...)
	b = append(b, r.key...)
	b = append(b, r.data...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// decode parses a record file. The returned data aliases b.
func decode(b []byte) (*record, error) {
	if len(b) < headerSize+sumSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrCorrupt, len(b))
	}
	if string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, b[:4])
	}
	u := int(binary.BigEndian.Uint16(b[20:]))
	k := int(binary.BigEndian.Uint16(b[22:]))
	d := uint64(binary.BigEndian.Uint32(b[24:]))
	if want := uint64(headerSize+u+k+sumSize) + d; uint64(len(b)) != want {
		return nil, fmt.Errorf("%w: %d bytes; the header says %d", ErrCorrupt, len(b), want)
	}
	body := b[:len(b)-sumSize]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[len(body):]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	r := &record{
		version: binary.BigEndian.Uint64(b[4:]),
		expires: int64(binary.BigEndian.Uint64(b[12:])),
		user:    string(body[headerSize : headerSize+u]),
		key:     string(body[headerSize+u : headerSize+u+k]),
		data:    body[headerSize+u+k:],
	}
	if r.version == 0 {
		return nil, fmt.Errorf("%w: version 0", ErrCorrupt)
	}
	return r, nil
}
