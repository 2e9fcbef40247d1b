//go:build cgo && czlib

package signer

// #cgo LDFLAGS: -lz
// #include <stdlib.h>
// #include <zlib.h>
//
// // fg_new returns a deflate stream at Python's level (zlib.compress's
// // defaults: level 6, window 15, memLevel 8, default strategy), or NULL.
// static z_stream *fg_new(void) {
//     z_stream *s = calloc(1, sizeof(z_stream));
//     if (s == NULL) return NULL;
//     if (deflateInit(s, Z_DEFAULT_COMPRESSION) != Z_OK) { free(s); return NULL; }
//     return s;
// }
//
// // fg_compress resets s and compresses src into dst in one call, returning
// // the output length or -1. A reset stream produces the same bytes as
// // compress2 with a fresh one, without allocating its 256 KiB again.
// static long fg_compress(z_stream *s, unsigned char *dst, unsigned long dst_len, const unsigned char *src, unsigned long src_len) {
//     if (deflateReset(s) != Z_OK) return -1;
//     s->next_in = (Bytef *)src;
//     s->avail_in = (uInt)src_len;
//     s->next_out = dst;
//     s->avail_out = (uInt)dst_len;
//     if (deflate(s, Z_FINISH) != Z_STREAM_END) return -1;
//     return (long)(dst_len - s->avail_out);
// }
//
// static void fg_free(z_stream *s) { deflateEnd(s); free(s); }
import "C"

import (
	"runtime"
	"unsafe"
)

// ByteExactCompression reports whether compressed tokens are byte-identical
// to Flask's: true in this build, which compresses with the system's C zlib
// exactly as Python's zlib.compress does.
const ByteExactCompression = true

// deflater keeps one C deflate stream per pooled scratch; a finalizer frees
// it when the pool drops the scratch.
type deflater struct{ zs *C.z_stream }

func freeDeflater(sc *scratch) { C.fg_free(sc.zs) }

// deflate compresses p with C zlib. The result aliases sc.zbuf's storage. On
// any zlib failure it returns p itself, which the caller reads as "no
// saving": the token is then simply not compressed.
func (sc *scratch) deflate(p []byte) []byte {
	if sc.zs == nil {
		if sc.zs = C.fg_new(); sc.zs == nil {
			return p
		}
		runtime.SetFinalizer(sc, freeDeflater)
	}
	if len(p) == 0 || uint64(len(p)) > 1<<31 {
		return p
	}
	bound := int(C.compressBound(C.uLong(len(p))))
	sc.zbuf.Reset()
	sc.zbuf.Grow(bound)
	out := sc.zbuf.AvailableBuffer()[:bound]
	n := C.fg_compress(sc.zs, (*C.uchar)(unsafe.Pointer(&out[0])), C.ulong(bound),
		(*C.uchar)(unsafe.Pointer(&p[0])), C.ulong(len(p)))
	if n < 0 {
		return p
	}
	return out[:int(n)]
}
