//go:build !(cgo && czlib)

package signer

import "compress/zlib"

// ByteExactCompression reports whether compressed tokens are byte-identical
// to Flask's: only when built with -tags czlib (cgo and C zlib).
const ByteExactCompression = false

// deflater keeps a zlib writer per pooled scratch: creating one allocates
// hundreds of KiB of tables.
type deflater struct{ zw *zlib.Writer }

// deflate compresses p with zlib. The result aliases sc.zbuf.
//
// Python uses level 6, but no Go level reproduces C zlib's bytes anyway, and
// Go's levels 2-9 clear 640 KB of hash tables on every reset (about 20 µs).
// BestSpeed does not, and on Flask's vectors it makes the same
// compress-or-not decision as Go's level 6 for every case but one that
// already needs C zlib to match. Build with -tags czlib for C zlib itself.
func (sc *scratch) deflate(p []byte) []byte {
	sc.zbuf.Reset()
	if sc.zw == nil {
		sc.zw, _ = zlib.NewWriterLevel(&sc.zbuf, zlib.BestSpeed) // a valid level: no error
	} else {
		sc.zw.Reset(&sc.zbuf)
	}
	// Writes to a bytes.Buffer cannot fail.
	sc.zw.Write(p)
	sc.zw.Close()
	return sc.zbuf.Bytes()
}
