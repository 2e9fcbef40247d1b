package cachelibstore

import (
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/storetest"
)

func newStore(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the suite with counting and pruning off, on one
// directory for every subtest, as in production. The layout keeps no user
// id (NoUserID).
func TestConformance(t *testing.T) {
	clock := testenv.RealClock()
	dir := t.TempDir()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, dir, WithClock(clock.Now), WithThreshold(0))
		},
		Advance:  clock.Advance,
		NoUserID: true,
	})
}

// TestConformanceCounted runs it again with cachelib's counter kept (a
// threshold the suite's 1000 concurrent records stay under), so every
// write also goes through the counter, each subtest on its own directory.
func TestConformanceCounted(t *testing.T) {
	clock := testenv.RealClock()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, t.TempDir(), WithClock(clock.Now), WithThreshold(100000))
		},
		Advance:  clock.Advance,
		NoUserID: true,
	})
}

// TestMiddleware drives the real middleware over the store: overlapping
// requests lose no update, ended sessions stay ended.
func TestMiddleware(t *testing.T) {
	clock := testenv.RealClock()
	storetest.RunMiddleware(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return newStore(t, t.TempDir(), WithClock(clock.Now))
		},
		Advance:  clock.Advance,
		NoUserID: true,
	})
}
