package taggedjson

import (
	"strings"
	"testing"
	"time"
)

type dateWant struct {
	ok     bool
	raises bool
	t      time.Time
}

func at(y, mo, d, h, mi, s int) dateWant {
	return dateWant{ok: true, t: time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)}
}
func none() dateWant   { return dateWant{} }
func raises() dateWant { return dateWant{raises: true} }

// Expected results come from running werkzeug.http.parse_date (the
// function behind Flask's " d" tag) on CPython 3.11, converted to UTC.
func TestParseDateMatchesPython(t *testing.T) {
	tests := []struct {
		in   string
		want dateWant
	}{
		{"Thu, 29 Feb 2024 13:45:30 GMT", at(2024, 2, 29, 13, 45, 30)},
		{"Sun, 06 Nov 1994 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},
		{"Sunday, 06-Nov-94 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},
		{"06 Nov 1994 08:49:37", at(1994, 11, 6, 8, 49, 37)},
		{"Nov 06 1994 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},
		{"6 nov 94 8:49 -0500", at(1994, 11, 6, 13, 49, 0)},
		{"Mon,06 Nov 1994 08:49:37 +0530", at(1994, 11, 6, 3, 19, 37)},
		{"Mon, 01 Jan 0001 00:00:00 GMT", at(2001, 1, 1, 0, 0, 0)},
		{"Mon, 01 Jan 0099 00:00:00 GMT", at(1999, 1, 1, 0, 0, 0)},
		{"Mon, 01 Jan 0100 00:00:00 GMT", at(100, 1, 1, 0, 0, 0)},
		{"Mon, 01 Jan 69 00:00:00 GMT", at(1969, 1, 1, 0, 0, 0)},
		{"Mon, 01 Jan 68 00:00:00 GMT", at(2068, 1, 1, 0, 0, 0)},
		{"Mon, 01 Jan -5 00:00:00 GMT", none()},
		{"Mon, 01 Jan 2024 12:00:00 -5", at(2024, 1, 1, 12, 5, 0)},
		{"Fri, 31 Dec 9999 23:59:59 GMT", at(9999, 12, 31, 23, 59, 59)},
		{"Fri, 31 Dec 9999 23:59:59 -0100", at(10000, 1, 1, 0, 59, 59)},
		{"Mon, 01 Jan 0001 00:00:00 +0100", at(2000, 12, 31, 23, 0, 0)},
		{"Thu, 30 Feb 2024 00:00:00 GMT", none()},
		{"Sat, 29 Feb 2100 00:00:00 GMT", none()},
		{"Tue, 29 Feb 2000 00:00:00 GMT", at(2000, 2, 29, 0, 0, 0)},
		{"Mon, 01 Jan 2024 24:00:00 GMT", none()},
		{"Mon, 01 Jan 2024 23:59:60 GMT", none()},
		{"Mon, 01 Jan 2024 12.30 GMT", at(2024, 1, 1, 12, 30, 0)},
		{"Mon, 01 Jan 2024 12.30.15 GMT", at(2024, 1, 1, 12, 30, 15)},
		{"Mon, 01 Jan 2024 12 GMT", none()},
		{"Mon, 01 Jan 2024 12:30:15:00 GMT", none()},
		{"Mon, 01 Jan 2024 12:00:00 EST", at(2024, 1, 1, 17, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 pdt", at(2024, 1, 1, 19, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 -0000", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 +2400", none()},
		{"Mon, 01 Jan 2024 12:00:00 +2359", at(2023, 12, 31, 12, 1, 0)},
		{"Mon, 01 Jan 2024 12:00:00 +0099", at(2024, 1, 1, 10, 21, 0)},
		{"Mon, 01 Jan 2024 12:00:00 XYZ", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 +99999999999999999", raises()},
		{"Mon, 01 Jan 99999999999 12:00:00 GMT", raises()},
		{"Mon, 01 Jan 2024 99999999999:00:00 GMT", raises()},
		{"Mon, 01 Jan 2024 99999999999:00:00 +2400", none()},
		{"Mon, 1_5 Jan 2024 12:00:00 GMT", at(2024, 1, 15, 12, 0, 0)},
		{"Mon, \u0661\u0662 Jan 2024 12:00:00 GMT", at(2024, 1, 12, 12, 0, 0)},
		{"Mon,\u300001\u3000Jan\u30002024\u300012:00:00\u3000GMT", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 e\ufb06", at(2024, 1, 1, 17, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 \u00dfT", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan \u00b2024 12:00:00 2024", none()},
		{"2024 Jan 01 12:00:00 GMT", none()},
		{"Mon, 01 Jan 12:00:00 2024 GMT", at(2024, 1, 1, 12, 0, 0)},
		{"01 Jan 2024", none()},
		{"", none()},
		{"   ", none()},
		{"x", none()},
		{"Mon, 01 Jan 2024 12:00:00+0200", at(2024, 1, 1, 10, 0, 0)},
		{"Mon, 01 Jan, 2024, 12:00:00, GMT", none()},
		{"Jan 01 2024 12:00:00 GMT extra fields here", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 00 Jan 2024 12:00:00 GMT", none()},
		{"Mon, 01 Foo 2024 12:00:00 GMT", none()},
		{"Mon, 01 Jan 2024 -1:00:00 GMT", none()},
		{"Mon, 01 Jan 2024 12:00:00 -9999", none()},
		{"MON, 01 JAN 2024 12:00:00 gmt", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 January 2024 12:00:00 GMT", at(2024, 1, 1, 12, 0, 0)},
		{"mon 01 jan 2024 12:00:00 Z", at(2024, 1, 1, 12, 0, 0)},
		{"x,01 Jan 2024 12:00:00 UT", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 \u001c GMT", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan 2024 12:00:00 +" + strings.Repeat("1", 4301) + "", at(2024, 1, 1, 12, 0, 0)},
		{"Mon, 01 Jan " + strings.Repeat("1", 4301) + " 12:00:00 GMT", none()},
		{"Mon, Jan 2024 12:00:00 GMT", none()},
	}
	for _, tc := range tests {
		got, ok, err := parseDate(tc.in)
		switch {
		case tc.want.raises:
			if err == nil {
				t.Errorf("parseDate(%q) = %v, %v; Python raises OverflowError", tc.in, got, ok)
			}
		case err != nil:
			t.Errorf("parseDate(%q): unexpected error %v", tc.in, err)
		case ok != tc.want.ok:
			t.Errorf("parseDate(%q) ok = %v, want %v (%v)", tc.in, ok, tc.want.ok, got)
		case ok && !got.Equal(tc.want.t):
			t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want.t)
		case ok && got.Location() != time.UTC:
			t.Errorf("parseDate(%q) location = %v, want UTC", tc.in, got.Location())
		}
	}
}

// Expected results from CPython 3.11's binascii.a2b_base64 (via
// base64.b64decode); "" marks an error.
func TestPyB64DecodeMatchesPython(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", "", false},
		{"QQ==", "A", false},
		{"QQ===", "A", false},
		{"QQ", "", true},
		{"QQ=", "", true},
		{"Q=Q=", "", true},
		{"QUJD", "ABC", false},
		{"QUJ", "", true},
		{"Q", "", true},
		{"Q===", "", true},
		{"QUJDRA", "", true},
		{"QU=JD", "ABC", false},
		{"=QUJD", "ABC", false},
		{"QQ==QUJD", "A", false},
		{"QR==", "A", false}, // unused low bits are ignored
		{"Q!U@J#D", "ABC", false},
		{"QU JD\n", "ABC", false},
		{"QUJD-_", "ABC", false}, // url-safe characters are junk here
		{"AAH7/yBiaW5hcnkgfn5+Pz4=", "\x00\x01\xfb\xff binary ~~~?>", false},
	}
	for _, tc := range tests {
		got, err := pyB64Decode(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("pyB64Decode(%q) = %q, want error", tc.in, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("pyB64Decode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := b64DecodeString("QUJD\u00e9"); err == nil {
		t.Error("non-ASCII text must be rejected like Python's b64decode(str)")
	}
}

func TestPyInt10(t *testing.T) {
	tests := []struct {
		in       string
		v        int64
		fits, ok bool
	}{
		{"0", 0, true, true},
		{"007", 7, true, true},
		{"-12", -12, true, true},
		{"+12", 12, true, true},
		{" 12 ", 12, true, true},
		{"\u3000 12\u2003", 12, true, true},
		{"\x0b1", 1, true, true},
		{"1_000", 1000, true, true},
		{"\u0661\u0662", 12, true, true},
		{"\U0001D7D8\U0001D7D9", 1, true, true}, // mathematical double-struck digits
		{"9223372036854775807", 1<<63 - 1, true, true},
		{"-9223372036854775808", -1 << 63, true, true},
		{"9223372036854775808", 1, false, true},
		{"-9223372036854775809", -1, false, true},
		{"99999999999999999999999", 1, false, true},
		{strings.Repeat("0", 4300), 0, true, true},
		{strings.Repeat("0", 4301), 0, false, false},
		{"", 0, false, false},
		{"-", 0, false, false},
		{"1__0", 0, false, false},
		{"_1", 0, false, false},
		{"1_", 0, false, false},
		{"+ 1", 0, false, false},
		{"1 2", 0, false, false},
		{"\x1c1", 0, false, false},
		{"\x7f1", 0, false, false},
		{"0x10", 0, false, false},
		{"\u00b2", 0, false, false},
	}
	for _, tc := range tests {
		v, fits, ok := pyInt10(tc.in)
		if ok != tc.ok || fits != tc.fits || (fits && v != tc.v) {
			t.Errorf("pyInt10(%q) = %d, %v, %v; want %d, %v, %v", tc.in, v, fits, ok, tc.v, tc.fits, tc.ok)
		}
	}
}
