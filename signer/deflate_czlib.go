//go:build cgo && czlib

package signer

// #cgo LDFLAGS: -lz
// #include <zlib.h>
//
// // fg_compress is compress2 at Python's level, returning the output length
// // or -1, so that no Go variable's address crosses into C.
// static long fg_compress(unsigned char *dst, unsigned long dst_len, const unsigned char *src, unsigned long src_len) {
//     uLongf n = dst_len;
//     if (compress2(dst, &n, src, src_len, Z_DEFAULT_COMPRESSION) != Z_OK) return -1;
//     return (long)n;
// }
import "C"

import "unsafe"

// ByteExactCompression reports whether compressed tokens are byte-identical
// to Flask's: true in this build, which compresses with the system's C zlib
// at level 6, exactly as Python's zlib.compress does.
const ByteExactCompression = true

// deflater holds nothing: C zlib keeps its state for one call only.
type deflater struct{}

// deflate compresses p with C zlib's compress2 at Z_DEFAULT_COMPRESSION
// (level 6), the call behind Python's zlib.compress. The result aliases
// sc.zbuf's storage.
func (sc *scratch) deflate(p []byte) []byte {
	bound := int(C.compressBound(C.uLong(len(p))))
	sc.zbuf.Reset()
	sc.zbuf.Grow(bound)
	out := sc.zbuf.AvailableBuffer()[:bound]
	var src *C.uchar
	if len(p) > 0 {
		src = (*C.uchar)(unsafe.Pointer(&p[0]))
	}
	n := C.fg_compress((*C.uchar)(unsafe.Pointer(&out[0])), C.ulong(bound), src, C.ulong(len(p)))
	if n < 0 {
		// Only Z_MEM_ERROR is possible with a compressBound-sized buffer:
		// report "no saving" so the payload is sent uncompressed.
		return p
	}
	return out[:int(n)]
}
