// Package storetest is the conformance suite for session.Store
// implementations.
//
// A store package calls Run from one of its tests:
//
//	func TestConformance(t *testing.T) {
//		var offset atomic.Int64 // the store's clock: real time + offset
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) session.Store {
//				s := mystore.New(mystore.WithClock(func() time.Time {
//					return time.Now().Add(time.Duration(offset.Load()))
//				}))
//				t.Cleanup(func() { s.Close() })
//				return s
//			},
//			Advance: func(d time.Duration) { offset.Add(int64(d)) },
//		})
//	}
//
// The suite checks the Store contract and, when the store implements them,
// session.Updater, session.Toucher, session.Sweeper, session.UserIndex and
// session.Lister; missing capabilities are skipped. Subtest names are stable, so a store can
// run a subset with -run.
//
// RunLocker checks session.Locker (Session.Lock) separately, on real time:
// its expiry subtests sleep for lock TTLs of a few hundred milliseconds.
//
// # Clock
//
// When Harness.Advance is set, the suite assumes the store's clock reads real
// time plus the total of the Advance calls made by this Run (a clock frozen at
// the time the harness was built also works: the suite leaves minutes of slack).
// Give every Run its own clock. When Advance is nil the suite saves records
// with TTLs of a few Harness.TTLResolution and sleeps past them.
//
// # Shared backends
//
// Keys are "storetest:" followed by 22 random characters, and user ids are
// random too, so several stores (and several packages) may share one backend.
// The Sweeper subtest is the exception: it counts what DeleteExpired removes,
// so while it runs nothing else may leave expiring records in the same backend.
package storetest

import (
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// Harness describes how to build the store under test.
type Harness struct {
	// New returns an empty, ready store. Called once per subtest; register
	// cleanup with t.Cleanup. Stores sharing one backend are fine: the suite
	// uses random keys (prefix "storetest:" + 22 random chars).
	New func(t *testing.T) session.Store

	// Advance moves the store's clock forward by d. Nil means the backend
	// uses real time: expiry subtests then use short real TTLs and sleep.
	Advance func(d time.Duration)

	// TTLResolution is the smallest TTL the backend honours when Advance is
	// nil (e.g. time.Second for memcached). Default 100ms.
	TTLResolution time.Duration

	// Break, when set, makes the given store's connection fail (e.g. close
	// the client/DB), to check that every method returns an error and
	// nothing panics. When nil and the store implements io.Closer, the suite
	// closes it instead.
	Break func(t *testing.T, s session.Store)

	// NoUserID says the store does not keep Record.UserID: Load reports ""
	// (e.g. memcachestore, whose value holds nothing but the data).
	NoUserID bool

	// NoExpires says Load cannot report Record.Expires and leaves it zero
	// (e.g. memcachestore: memcached's text protocol does not return an
	// item's expiration). The record must still expire on time.
	NoExpires bool
}

// keyPrefix starts every key the suite uses.
const keyPrefix = "storetest:"

// Durations used with a fake clock. They are long compared with the run time
// of the suite so that a clock frozen when the harness was built, or a little
// drift between the suite's idea of "now" and the store's, does not matter.
const (
	fakeShortTTL = 10 * time.Minute
	longTTL      = 24 * time.Hour // outlives every Advance the suite makes
	opTimeout    = 60 * time.Second
)

// Run runs the conformance suite against the store built by h.
//
// What it asserts about a context that is already cancelled: every method
// either succeeds or returns an error wrapping context.Canceled; in
// particular Load of a missing key must not report ErrNotFound, because the
// store cannot know that without asking its backend.
//
// What it asserts about a broken store (Harness.Break, or Close): every method
// returns an error, Load of a stored key does not claim ErrNotFound, and after
// Close the errors wrap session.ErrStoreClosed.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	s := &suite{h: h, res: h.TTLResolution}
	if s.res <= 0 {
		s.res = 100 * time.Millisecond
	}

	t.Run("RoundTrip", s.testRoundTrip)
	t.Run("LoadMissing", s.testLoadMissing)
	t.Run("DeleteMissing", s.testDeleteMissing)
	t.Run("Overwrite", s.testOverwrite)
	t.Run("DataIsCopied", s.testDataIsCopied)
	t.Run("UserID", s.testUserID)
	t.Run("LongKey", s.testLongKey)
	t.Run("KeysAreCaseSensitive", s.testCaseSensitiveKeys)
	t.Run("Expiry", s.testExpiry)
	t.Run("Concurrent", s.testConcurrent)
	t.Run("CanceledContext", s.testCanceledContext)
	t.Run("Updater", s.testUpdater)
	t.Run("Toucher", s.testToucher)
	t.Run("Sweeper", s.testSweeper)
	t.Run("UserIndex", s.testUserIndex)
	t.Run("Lister", s.testLister)
	// Last: some harnesses break a connection shared with the other subtests.
	t.Run("Broken", s.testBroken)
}
