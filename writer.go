package session

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
)

// sessionWriter commits the session just before the first byte of the
// response leaves, whichever way it leaves: WriteHeader, Write, ReadFrom,
// Flush, Hijack, or the handler returning. The Session lives inside it so a
// request costs one allocation for both.
type sessionWriter struct {
	rw        http.ResponseWriter
	s         Session
	committed bool
	failed    error // commit failed: the error handler answered instead
	// outer holds the headers set before the session middleware ran (by
	// outer middleware: CORS, request ids); nil when there were none.
	outer http.Header
}

// start remembers the headers outer middleware set, so that a failed commit
// drops only the handler's.
func (w *sessionWriter) start() {
	if h := w.rw.Header(); len(h) > 0 {
		w.outer = h.Clone()
	}
}

// commit runs once. It reports whether the handler's response may go on.
func (w *sessionWriter) commit() bool {
	if w.committed {
		return w.failed == nil
	}
	w.committed = true
	if err := w.s.m.commit(w.rw.Header(), &w.s); err != nil {
		w.failed = err
		// The handler's headers belonged to a response that will not be
		// sent; those of outer middleware stay.
		h := w.rw.Header()
		for k := range h {
			delete(h, k)
		}
		for k, v := range w.outer {
			h[k] = v
		}
		w.s.m.fail(w.rw, w.s.req, err)
		return false
	}
	return true
}

// commitAround commits a session whose response was written around this
// writer (see wroteAround). A store write still happens; a Set-Cookie can no
// longer reach the client, and that loss is reported like a change after
// the commit instead of passing silently.
func (w *sessionWriter) commitAround() {
	before := len(w.rw.Header().Values("Set-Cookie"))
	w.commit()
	if len(w.rw.Header().Values("Set-Cookie")) > before || w.failed != nil {
		w.s.m.lostAround(w.s.ctx, w.s.req, w.failed)
	}
}

func (w *sessionWriter) errReplaced() error {
	return fmt.Errorf("session: response replaced by the error handler: %w", w.failed)
}

// Header implements http.ResponseWriter.
func (w *sessionWriter) Header() http.Header { return w.rw.Header() }

// WriteHeader implements http.ResponseWriter. Informational responses (1xx
// other than 101) do not commit: the final header is still to come.
func (w *sessionWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.rw.WriteHeader(code)
		return
	}
	if w.commit() {
		w.rw.WriteHeader(code)
	}
}

// Write implements http.ResponseWriter.
func (w *sessionWriter) Write(p []byte) (int, error) {
	if !w.commit() {
		return 0, w.errReplaced()
	}
	return w.rw.Write(p)
}

// ReadFrom keeps the underlying writer's io.ReaderFrom fast path (sendfile).
func (w *sessionWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.commit() {
		return 0, w.errReplaced()
	}
	if rf, ok := w.rw.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.rw}, src)
}

type writerOnly struct{ io.Writer }

// Flush implements http.Flusher; it commits first.
func (w *sessionWriter) Flush() {
	_ = w.FlushError()
}

// FlushError is used by http.ResponseController.
func (w *sessionWriter) FlushError() error {
	if !w.commit() {
		return w.errReplaced()
	}
	return http.NewResponseController(w.rw).Flush()
}

// Hijack implements http.Hijacker. The session is committed (stored) first;
// a cookie it needed to set cannot be sent on a hijacked connection.
func (w *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, w.errReplaced()
	}
	if len(w.rw.Header().Values("Set-Cookie")) > 0 {
		w.s.m.cfg.Logger.Warn("session cookie not sent: the connection was hijacked", "path", pathOf(w.s.req))
	}
	conn, rw, err := http.NewResponseController(w.rw).Hijack()
	if errors.Is(err, http.ErrNotSupported) {
		return nil, nil, fmt.Errorf("session: underlying ResponseWriter cannot be hijacked: %w", err)
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer for
// deadlines and full duplex.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.rw }
