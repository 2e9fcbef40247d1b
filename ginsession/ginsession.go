// Package ginsession mounts flaskgo/session in a gin router.
//
// The plain middleware cannot be used with gin as net/http middleware: gin
// keeps writing to its own c.Writer, so the session writer that commits the
// session before the first byte is bypassed, and every change is lost
// without an error. Middleware makes gin's writer itself commit first, for
// every way a gin handler answers (c.JSON, c.String, c.Redirect, c.Stream,
// c.AbortWithStatus, c.Data, c.File, ...):
//
//	r := gin.New()
//	r.Use(ginsession.Middleware(m))
//	r.GET("/", func(c *gin.Context) {
//		s := ginsession.From(c)
//		s.Set("visits", 1)
//		c.String(http.StatusOK, "hi")
//	})
package ginsession

import (
	"bufio"
	"net"
	"net/http"

	"github.com/flaskgo/session"
	"github.com/gin-gonic/gin"
)

// installed marks a gin context whose session came through Middleware.
const installed = "github.com/flaskgo/session/ginsession"

// Middleware returns gin middleware that gives every request a session
// (From, or session.From(c.Request)) and commits it just before the
// response's first byte, as the net/http middleware does.
func Middleware(m *session.Manager) gin.HandlerFunc {
	return func(c *gin.Context) {
		orig := c.Writer
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Request = r
			c.Writer = &writer{ResponseWriter: orig, sw: w}
			c.Set(installed, true)
			defer func() { c.Writer = orig }()
			c.Next()
		})).ServeHTTP(orig, c.Request)
	}
}

// From returns the request's session. It panics when Middleware is not
// installed: a session reached otherwise would never be committed.
func From(c *gin.Context) *session.Session {
	if _, ok := c.Get(installed); !ok {
		panic("ginsession: Middleware is not installed; the session would never be saved")
	}
	return session.From(c.Request)
}

// writer is gin's ResponseWriter with every write routed through the
// session writer (sw), which commits the session first. Status, Size and
// Written are gin's own.
type writer struct {
	gin.ResponseWriter
	sw http.ResponseWriter
}

func (w *writer) WriteHeader(code int) { w.sw.WriteHeader(code) }

func (w *writer) Write(p []byte) (int, error) { return w.sw.Write(p) }

func (w *writer) WriteString(s string) (int, error) { return w.sw.Write([]byte(s)) }

// WriteHeaderNow is what gin calls to send the header without a body
// (AbortWithStatus, Redirect, ...): commit first.
func (w *writer) WriteHeaderNow() {
	if !w.Written() {
		w.sw.WriteHeader(w.Status())
	}
	w.ResponseWriter.WriteHeaderNow()
}

func (w *writer) Flush() { http.NewResponseController(w.sw).Flush() }

func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.sw).Hijack()
}

// Unwrap lets http.ResponseController reach the session writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.sw }
