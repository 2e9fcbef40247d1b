package testenv

import (
	"sync"
	"time"
)

// Clock is a settable clock for Config.Now and the stores' clock options.
// The zero value is not usable: use NewClock or RealClock.
type Clock struct {
	mu     sync.Mutex
	base   time.Time // fixed start; zero: the real time
	offset time.Duration
}

// NewClock returns a clock stopped at start; only Advance moves it.
func NewClock(start time.Time) *Clock { return &Clock{base: start} }

// RealClock returns a clock that follows real time plus what Advance adds,
// for stores whose backends expire records on the real clock.
func RealClock() *Clock { return &Clock{} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.base.Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
