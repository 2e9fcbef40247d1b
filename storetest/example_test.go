package storetest_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/storetest"
)

// A store package's conformance test builds a Harness and, inside a test
// function, calls storetest.Run(t, h).
func Example() {
	var offset atomic.Int64 // the store's clock: real time + offset
	h := storetest.Harness{
		New: func(t *testing.T) session.Store {
			s := memstore.New(memstore.WithClock(func() time.Time {
				return time.Now().Add(time.Duration(offset.Load()))
			}))
			t.Cleanup(func() { s.Close() })
			return s
		},
		Advance: func(d time.Duration) { offset.Add(int64(d)) },
	}
	// func TestConformance(t *testing.T) { storetest.Run(t, h) }
	fmt.Println("fake clock:", h.Advance != nil)
	// Output: fake clock: true
}
