package session_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// netTimeout is what a dial or read timeout looks like: net's timeout
// errors match context.DeadlineExceeded with errors.Is.
type netTimeout struct{}

func (netTimeout) Error() string        { return "dial tcp 10.0.0.1:6379: i/o timeout" }
func (netTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// unreachableLocker is a memstore whose Lock fails as a store that cannot
// be reached does.
type unreachableLocker struct{ *memstore.Store }

func (unreachableLocker) Lock(context.Context, string, time.Duration) (func(context.Context) error, error) {
	return nil, netTimeout{}
}

// A store that times out reaching its backend is an error of the store,
// not a session locked by another request.
func TestLockStoreTimeoutIsNotLockTimeout(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: unreachableLocker{ms}})
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("n", 0) }), "session")
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		err := session.From(r).Lock(time.Second)
		if err == nil || errors.Is(err, session.ErrLockTimeout) {
			t.Errorf("Lock on an unreachable store = %v; want the store's error, not ErrLockTimeout", err)
		}
	})
}
