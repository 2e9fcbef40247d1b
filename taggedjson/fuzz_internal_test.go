package taggedjson

import (
	"testing"
)

// FuzzParseDate checks the port of Python's date parser for panics and
// for results outside what Python's datetime allows.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Thu, 29 Feb 2024 13:45:30 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "6 nov 94 8:49 -0500",
		"Mon, 01 Jan 2024 12.30.15 +2359", "Jan 01 12:00:00 2024 EST", "x,01 Jan 2024 12:00:00 UT", "Mon, \u0661\u0662 Jan 2024 12:00:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok, err := parseDate(s)
		if err != nil || !ok {
			return
		}
		// Local years 1-9999, at most a day of offset either way.
		if y := tm.Year(); y < 0 || y > 10000 {
			t.Fatalf("parseDate(%q) = %v: year out of range", s, tm)
		}
		if tm.Nanosecond() != 0 {
			t.Fatalf("parseDate(%q) = %v has fractional seconds", s, tm)
		}
	})
}

func FuzzPyB64Decode(f *testing.F) {
	for _, s := range []string{"QUJD", "QU=JD", "QQ==", "Q", "QQ=", "QR==", "Q!U@J#D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := pyB64Decode(s)
		if err == nil && len(b) > len(s) {
			t.Fatalf("pyB64Decode(%q) produced %d bytes", s, len(b))
		}
	})
}
