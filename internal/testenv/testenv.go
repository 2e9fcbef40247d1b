// Package testenv is what the tests of every module in this repository share:
// skipping (or, under CI=true, failing) when a service is absent, starting
// peer processes that announce their port, and a settable clock.
//
// It is internal: only this repository's tests import it.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// CI reports whether the tests run under CI=true, where every service and
// peer must be present.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable reports a missing service or peer: a loud skip on a laptop, a
// failure under CI=true, where a missing service is a broken set-up.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: it must be installed and running)", msg)
	}
	t.Skipf("*** SKIPPED: %s ***", msg)
}

// Env returns the environment variable name, or def when it is unset.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
