package cachelibstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// cachelib keeps the number of cache files in a management entry of its own
// layout: the file hex(MD5("__wz_cache_count")), header 0 (never expires),
// then the count pickled with protocol 5. It adds one when set() creates a
// file, subtracts one when delete() or pruning removes one, and before each
// set() prunes when the count is above the threshold. The counter is a
// read-modify-write without a lock, so processes that write at the same
// time make it drift; cachelib recounts whenever a FileSystemCache is
// created (every Flask worker start).
//
// This store keeps the counter the same way, under its lock, so Flask's
// pruning sees the files Go creates, and prunes the same way before each of
// its writes. It does not recount when it opens a directory (New writes
// nothing); it recounts when the counter file is missing and in
// DeleteExpired.

// pickleInt encodes n as pickle.dumps(n, 5) does for the values a counter
// takes (Python frames the body once it is 4 bytes or longer).
func pickleInt(n int64) []byte {
	var body []byte
	switch {
	case n >= 0 && n <= math.MaxUint8:
		body = []byte{'K', byte(n)}
	case n >= 0 && n <= math.MaxUint16:
		body = binary.LittleEndian.AppendUint16([]byte{'M'}, uint16(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		body = binary.LittleEndian.AppendUint32([]byte{'J'}, uint32(int32(n)))
	default:
		body = binary.LittleEndian.AppendUint64([]byte{0x8a, 8}, uint64(n))
	}
	body = append(body, '.')
	out := []byte{0x80, 5}
	if len(body) >= 4 {
		out = append(out, 0x95)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(body)))
	}
	return append(out, body...)
}

var errNotCount = errors.New("not a pickled int")

// unpickleInt decodes the pickled int of a counter file: PROTO, an optional
// FRAME, one of BININT1, BININT2, BININT, LONG1 (up to 8 bytes), STOP.
// Anything else is an error, which the caller treats as cachelib does a
// counter it cannot read: as 0.
func unpickleInt(b []byte) (int64, error) {
	if len(b) >= 2 && b[0] == 0x80 {
		b = b[2:]
	}
	if len(b) >= 9 && b[0] == 0x95 {
		b = b[9:]
	}
	if len(b) < 2 || b[len(b)-1] != '.' {
		return 0, errNotCount
	}
	op, arg := b[0], b[1:len(b)-1]
	switch {
	case op == 'K' && len(arg) == 1:
		return int64(arg[0]), nil
	case op == 'M' && len(arg) == 2:
		return int64(binary.LittleEndian.Uint16(arg)), nil
	case op == 'J' && len(arg) == 4:
		return int64(int32(binary.LittleEndian.Uint32(arg))), nil
	case op == 0x8a && len(arg) >= 1 && int(arg[0]) == len(arg)-1 && arg[0] <= 8:
		var u uint64
		for i := int(arg[0]); i >= 1; i-- {
			u = u<<8 | uint64(arg[i])
		}
		n := int(arg[0])
		if n > 0 && n < 8 && arg[n]&0x80 != 0 { // sign-extend
			u |= ^uint64(0) << (8 * n)
		}
		return int64(u), nil
	}
	return 0, errNotCount
}

// readCount returns cachelib's counter and whether its file exists.
func (s *Store) readCount() (n int64, exists bool, err error) {
	b, err := s.readBounded(countName)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return 0, true, nil
		}
		return 0, false, err
	}
	f, err := parseFile(b, s.order)
	if err != nil {
		return 0, true, nil
	}
	n, err = unpickleInt(f.payload)
	if err != nil {
		return 0, true, nil // cachelib: self.get(count) or 0
	}
	return n, true, nil
}

// writeCount replaces the counter file, as cachelib's set(mgmt_element=True).
func (s *Store) writeCount(n int64) error {
	return s.writeFile(countName, appendFile(nil, file{payload: pickleInt(n)}, s.order))
}

// count returns the counter, recounting the directory when the counter file
// is missing. The caller holds the lock.
func (s *Store) count() (int64, error) {
	n, exists, err := s.readCount()
	if err != nil || exists {
		return n, err
	}
	names, err := s.listNames()
	if err != nil {
		return 0, err
	}
	return int64(len(names)), nil
}

// addCount moves the counter by delta, for a change already made to the
// directory. When the counter file is missing, the recount already sees the
// change and is written as is. The caller holds the lock.
func (s *Store) addCount(delta int64) error {
	if s.threshold == 0 {
		return nil
	}
	n, exists, err := s.readCount()
	if err != nil {
		return err
	}
	if exists {
		return s.writeCount(n + delta)
	}
	names, err := s.listNames()
	if err != nil {
		return err
	}
	return s.writeCount(int64(len(names)))
}

// listNames lists what cachelib's _list_dir lists: every entry of the
// directory except the counter and names ending in ".__wz_cache".
func (s *Store) listNames() ([]string, error) {
	d, err := os.Open(s.dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if n != countName && !strings.HasSuffix(n, tmpSuffix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// prune does what cachelib's _prune does before every set(): when the
// counter is above the threshold, delete the expired files, then, if it is
// still above, the files whose expiry header is smallest (0, "never",
// first, as cachelib sorts them) until it is not. Unlike cachelib it only
// deletes files whose names are cache file names. The caller holds the lock.
func (s *Store) prune(now time.Time) error {
	if s.threshold == 0 {
		return nil
	}
	n, err := s.count()
	if err != nil {
		return err
	}
	if n <= int64(s.threshold) {
		return nil
	}
	names, err := s.listNames()
	if err != nil {
		return err
	}
	type entry struct {
		name    string
		expires uint32
	}
	var kept []entry
	removed := int64(0)
	for _, name := range names {
		if !isCacheName(name) {
			continue
		}
		exp, err := s.readHeader(name)
		if err != nil {
			continue // gone, unreadable or too short: cachelib skips it too
		}
		if exp != 0 && int64(exp) < now.Unix() {
			if err := os.Remove(s.path(name)); err == nil {
				removed++
			}
			continue
		}
		kept = append(kept, entry{name, exp})
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if kept[i].expires != kept[j].expires {
			return kept[i].expires < kept[j].expires
		}
		return kept[i].name < kept[j].name
	})
	for _, e := range kept {
		if n-removed <= int64(s.threshold) {
			break
		}
		err := os.Remove(s.path(e.name))
		if err == nil {
			removed++
		} else if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if removed == 0 {
		return nil
	}
	if err := s.writeCount(n - removed); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}
