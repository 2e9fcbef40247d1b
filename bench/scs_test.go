package bench

import (
	"encoding/gob"
	"net/http"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
)

func init() {
	// scs stores values with gob; a nested map inside an interface value
	// must be registered.
	gob.Register(map[string]any{})
}

// scsManager returns an scs manager on its in-memory store and a cookie
// holding the typical session.
func scsManager(tb testing.TB) (*scs.SessionManager, string) {
	tb.Helper()
	sm := scs.New()
	sm.Store = memstore.New()
	seed := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range typicalSession() {
			sm.Put(r.Context(), k, v)
		}
	}))
	return sm, cookieFrom(tb, serve(seed, ""))
}

// BenchmarkSCSMemstore runs the request shapes through scs's LoadAndSave
// with its in-memory store. scs loads the session before the handler runs,
// so "untouched" costs about what "read" does.
func BenchmarkSCSMemstore(b *testing.B) {
	sm, cookie := scsManager(b)
	read := func(r *http.Request) string { return sm.GetString(r.Context(), "theme") }
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sm.Put(r.Context(), "theme", "dark") })
	b.Run("untouched", func(b *testing.B) { runRequests(b, sm.LoadAndSave(untouched), cookie, false) })
	b.Run("read", func(b *testing.B) { runRequests(b, sm.LoadAndSave(readOne(read)), cookie, false) })
	b.Run("write", func(b *testing.B) { runRequests(b, sm.LoadAndSave(write), cookie, true) })
}
