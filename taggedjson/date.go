package taggedjson

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// errDateOverflow stands for the OverflowError that Python's datetime or
// timedelta constructors raise for out-of-range integers; unlike the
// ValueError of an unparseable date, werkzeug does not catch it, so Flask
// fails the request.
var errDateOverflow = errors.New("date field out of range for a C int (Python raises OverflowError)")

var monthNames = [...]string{
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
}

var dayNames = [...]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// tzNames is email._parseaddr._timezones (offsets written as ±HHMM).
var tzNames = map[string]int64{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"AST": -400, "ADT": -300, "EST": -500, "EDT": -400, "CST": -600,
	"CDT": -500, "MST": -700, "MDT": -600, "PST": -800, "PDT": -700,
}

func monthIndex(s string) int {
	var buf [16]byte
	low, ok := pyLowerASCII(s, buf[:0])
	if !ok {
		return -1
	}
	for i, m := range monthNames {
		if string(low) == m {
			return i
		}
	}
	return -1
}

func isDayName(s string) bool {
	var buf [16]byte
	low, ok := pyLowerASCII(s, buf[:0])
	if !ok {
		return false
	}
	for _, d := range dayNames {
		if string(low) == d {
			return true
		}
	}
	return false
}

// splitPy splits s on runs of Python whitespace like str.split() and
// returns the first len(out) fields and the total number of fields.
func splitPy(s string, out []string) (fields []string, n int) {
	fields = out[:0]
	start := -1
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isPySpace(r) {
			if start >= 0 {
				if len(fields) < cap(fields) {
					fields = append(fields, s[start:i])
				}
				n++
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		if len(fields) < cap(fields) {
			fields = append(fields, s[start:])
		}
		n++
	}
	return fields, n
}

// parseDate converts the text of a " d" tag the way Flask does, through
// werkzeug.http.parse_date and email.utils.parsedate_to_datetime (a port of
// CPython 3.11's email._parseaddr._parsedate_tz). ok is false where Python
// returns None; err is non-nil where Python raises an uncaught exception.
// Dates without a zone are UTC; the result is always in UTC.
func parseDate(data string) (t time.Time, ok bool, err error) {
	if data == "" {
		return t, false, nil
	}
	var fbuf [6]string
	f, n := splitPy(data, fbuf[:])
	if n == 0 {
		return t, false, nil
	}
	// Skip a day name (which is not checked against the date).
	if strings.HasSuffix(f[0], ",") || isDayName(f[0]) {
		f = f[1:]
		n--
	} else if i := strings.LastIndexByte(f[0], ','); i >= 0 {
		f[0] = f[0][i+1:]
	}
	if len(f) > 5 {
		f = f[:5] // only five fields are ever used; n keeps the real count
	}
	var dbuf [5]string
	d := append(dbuf[:0], f...)
	if n == 3 { // RFC 850: 06-Nov-94 08:49:37 GMT
		if stuff := strings.Split(d[0], "-"); len(stuff) == 3 {
			tm, tz := d[1], d[2]
			d = append(dbuf[:0], stuff[0], stuff[1], stuff[2], tm, tz)
			n = 5
		}
	}
	if n == 4 {
		s := d[3]
		i := strings.IndexByte(s, '+')
		if i == -1 {
			i = strings.IndexByte(s, '-')
		}
		if i > 0 {
			d = append(d[:3], s[:i], s[i:])
		} else {
			d = append(d, "") // no zone
		}
		n = 5
	}
	if n < 5 {
		return t, false, nil
	}
	dd, mm, yy, tm, tz := d[0], d[1], d[2], d[3], d[4]
	if dd == "" || mm == "" || yy == "" {
		return t, false, nil
	}
	month := monthIndex(mm)
	if month < 0 {
		// Python swaps: the lower-cased month text becomes the day, and the
		// day text must be the month.
		origDay := dd
		var buf [16]byte
		if low, ok := pyLowerASCII(mm, buf[:0]); ok {
			dd = string(low)
		} else {
			dd = strings.ToLower(mm) // only fed to int(), which rejects it either way
		}
		if month = monthIndex(origDay); month < 0 {
			return t, false, nil
		}
	}
	month++
	if month > 12 {
		month -= 12
	}
	dd = strings.TrimSuffix(dd, ",")
	if i := strings.IndexByte(yy, ':'); i > 0 {
		yy, tm = tm, yy
	}
	if strings.HasSuffix(yy, ",") {
		yy = yy[:len(yy)-1]
		if yy == "" {
			return t, false, nil
		}
	}
	if r, _ := utf8.DecodeRuneInString(yy); !pyIsDigit(r) {
		yy, tz = tz, yy
	}
	tm = strings.TrimSuffix(tm, ",")
	var thh, tmm, tss string
	parts := strings.Split(tm, ":")
	switch {
	case len(parts) == 2:
		thh, tmm, tss = parts[0], parts[1], "0"
	case len(parts) == 3:
		thh, tmm, tss = parts[0], parts[1], parts[2]
	case len(parts) == 1 && strings.Contains(tm, "."):
		parts = strings.Split(tm, ".")
		switch len(parts) {
		case 2:
			thh, tmm, tss = parts[0], parts[1], "0"
		case 3:
			thh, tmm, tss = parts[0], parts[1], parts[2]
		default:
			return t, false, nil
		}
	default:
		return t, false, nil
	}
	var vals [5]int64
	var fits [5]bool
	for i, s := range [5]string{yy, dd, thh, tmm, tss} {
		var okInt bool
		if vals[i], fits[i], okInt = pyInt10(s); !okInt {
			return t, false, nil
		}
	}
	year, day, hour, minute, second := vals[0], vals[1], vals[2], vals[3], vals[4]
	if fits[0] && year < 100 { // two-digit years (also negative ones)
		if year > 68 {
			year += 1900
		} else {
			year += 2000
		}
	}

	// Zone: a name, or an integer like -0500; "-0000" means "unknown" (naive).
	hasZone := false
	var offset int64 // seconds east of UTC
	var ubuf [16]byte
	tzu, tzASCII := pyUpperASCII(tz, ubuf[:0])
	if v, known := tzNames[string(tzu)]; tzASCII && known {
		hasZone = true
		offset = v
	} else if v, vfits, okInt := pyInt10(tz); okInt {
		hasZone = !(vfits && v == 0 && strings.HasPrefix(tz, "-"))
		if !vfits || v > 1e15 || v < -1e15 {
			// timedelta(seconds=...) overflows long before this.
			return t, false, errDateOverflow
		}
		offset = v
	}
	if hasZone && offset != 0 {
		sign := int64(1)
		if offset < 0 {
			sign, offset = -1, -offset
		}
		offset = sign * ((offset/100)*3600 + (offset%100)*60)
		if days := floorDiv(offset, 86400); days > 999999999 || days < -999999999 {
			return t, false, errDateOverflow
		}
		if offset <= -86400 || offset >= 86400 { // timezone() needs |offset| < 24h
			return t, false, nil
		}
	}
	// datetime(year, month, day, hour, minute, second): C int conversion
	// first (OverflowError), then range checks (ValueError).
	for i, v := range [5]int64{year, day, hour, minute, second} {
		if !fits[i] || v < -1<<31 || v > 1<<31-1 {
			return t, false, errDateOverflow
		}
	}
	if year < 1 || year > 9999 || day < 1 || day > int64(daysIn(int(month), int(year))) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return t, false, nil
	}
	t = time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(second), 0, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
