package memstore

import (
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/storetest"
)

func TestLocker(t *testing.T) {
	storetest.RunLocker(t, func(t *testing.T) session.Store { return newStore(t) })
}
