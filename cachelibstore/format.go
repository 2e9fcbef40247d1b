package cachelibstore

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrCorrupt means a cache file could not be decoded: it is shorter than its
// 4-byte header or larger than the store's file size limit. Load reports it
// (wrapped); a write replaces such a file.
var ErrCorrupt = errors.New("cachelibstore: corrupt cache file")

// ErrTooLarge means a record would make a file larger than the store's file
// size limit (WithMaxFileSize), which the store could then not read back.
var ErrTooLarge = errors.New("cachelibstore: record too large")

// File layout, as cachelib 0.9's FileSystemCache writes it:
//
//	offset  size  field
//	0       4     expiry: struct "I", a native-endian uint32 of Unix seconds,
//	              0 = never; little-endian on amd64 and arm64
//	4       rest  the value, pickled with pickle.HIGHEST_PROTOCOL
//
// The file name is the lower-case hex MD5 of the UTF-8 cache key; cachelib
// writes a temporary file named tmp*.__wz_cache and os.replace()s it over
// the name.
const (
	headerSize = 4

	// tmpSuffix ends cachelib's temporary files. Its listing (and so its
	// counting and pruning) skips every name that ends with it.
	tmpSuffix = ".__wz_cache"

	// countKey is the cache key of cachelib's file counter.
	countKey = "__wz_cache_count"

	// lockName is this package's lock file. The suffix keeps it out of
	// cachelib's listing: cachelib never counts, prunes or clears it.
	lockName = "flaskgo-session.lock" + tmpSuffix

	// DefaultMaxFileSize is the default limit on a cache file's size.
	DefaultMaxFileSize = 4 << 20

	// DefaultThreshold is cachelib's and Flask-Session's default threshold
	// (SESSION_FILE_THRESHOLD).
	DefaultThreshold = 500
)

// countName is the file name of cachelib's counter.
var countName = FileName(countKey)

// FileName returns the name of the file that holds the cache key key:
// hex(MD5(key)), as cachelib's FileSystemCache names it.
func FileName(key string) string {
	sum := md5.Sum([]byte(key))
	return hex.EncodeToString(sum[:])
}

// isCacheName reports whether name looks like a cache file name (32
// lower-case hex digits). Only such files are ever deleted by this package.
func isCacheName(name string) bool {
	if len(name) != 2*md5.Size {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// file is a decoded cache file.
type file struct {
	expires uint32 // Unix seconds; 0 = never
	payload []byte // the pickle after the header
}

// parseFile splits a cache file into header and payload. It never reads
// more than it is given: the caller bounds what it reads from disk.
func parseFile(b []byte, order binary.ByteOrder) (file, error) {
	if len(b) < headerSize {
		return file{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte expiry header", ErrCorrupt, len(b), headerSize)
	}
	return file{expires: order.Uint32(b), payload: b[headerSize:]}, nil
}

// appendFile appends the file for f to dst.
func appendFile(dst []byte, f file, order binary.ByteOrder) []byte {
	var h [headerSize]byte
	order.PutUint32(h[:], f.expires)
	dst = append(dst, h[:]...)
	return append(dst, f.payload...)
}

// live reports whether the file is live at now. cachelib keeps a file while
// its expiry is not before time.time(); here it is live while now is before
// the expiry second, which differs only on the boundary.
func (f file) live(now time.Time) bool {
	return f.expires == 0 || now.Before(time.Unix(int64(f.expires), 0))
}

// expiresTime reports the expiry as a time; zero for "never".
func (f file) expiresTime() time.Time {
	if f.expires == 0 {
		return time.Time{}
	}
	return time.Unix(int64(f.expires), 0)
}

// headerExpiry converts a record's Expires to the header value: whole Unix
// seconds, rounded down as cachelib's int(time()) + timeout is, and clamped
// to the last second a uint32 holds (year 2106). ok is false when the
// result would not be in the future (or would be 0, which means never).
func headerExpiry(t, now time.Time) (v uint32, ok bool) {
	s := t.Unix()
	switch {
	case s > math.MaxUint32:
		s = math.MaxUint32
	case s <= 0:
		return 0, false
	}
	v = uint32(s)
	return v, file{expires: v}.live(now)
}

// version derives a record's Version from its payload. The layout has no
// version field, so the stored state itself is the version: any write that
// changes the value changes it, a rewrite of the same bytes (Flask-Session
// rewrites on every request, Touch moves the header) does not.
func version(payload []byte) uint64 {
	sum := sha256.Sum256(payload)
	v := binary.BigEndian.Uint64(sum[:8])
	if v == 0 { // 0 means "no record"
		v = 1
	}
	return v
}
