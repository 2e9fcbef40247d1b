package memcachestore

import (
	"math"
	"testing"
	"time"
)

// FuzzExpiration: the exptime sent to memcached never lets an item expire
// more than a second before its expiry or a second after it, and a passed
// expiry always expires the item at once.
func FuzzExpiration(f *testing.F) {
	for _, d := range []int64{0, 1, -1, int64(time.Second), int64(30 * 24 * time.Hour), int64(30*24*time.Hour) + 1, int64(40 * 24 * time.Hour), math.MaxInt64} {
		f.Add(int64(1764150000), int64(123), d)
	}
	f.Fuzz(func(t *testing.T, nowSec, nowNsec, d int64) {
		if nowSec < 0 || nowSec > 1<<31 || nowNsec < 0 || nowNsec >= 1e9 {
			return // memcached clocks live between 1970 and 2038
		}
		now := time.Unix(nowSec, nowNsec)
		exp := now.Add(time.Duration(d))
		got := expiration(exp, now)
		switch {
		case !exp.After(now):
			if got != -1 {
				t.Fatalf("expiration(passed) = %d, want -1", got)
			}
		case got <= 0:
			t.Fatalf("expiration(%v after now) = %d: expired at once or never", exp.Sub(now), got)
		case got <= maxRelative:
			end := now.Add(time.Duration(got) * time.Second)
			if end.Before(exp) || end.Sub(exp) >= time.Second {
				t.Fatalf("relative %d s for %v: ends %v after the expiry", got, exp.Sub(now), end.Sub(exp))
			}
		default:
			end := time.Unix(int64(got), 0)
			if got == math.MaxInt32 {
				return // clamped at 2038
			}
			if end.Before(exp) || end.Sub(exp) >= time.Second || exp.Sub(now) <= 30*24*time.Hour {
				t.Fatalf("absolute %d for %v (in %v)", got, exp, exp.Sub(now))
			}
		}
	})
}
