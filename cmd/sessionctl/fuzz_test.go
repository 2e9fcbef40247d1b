package main

import (
	"strings"
	"testing"
)

// FuzzCookie feeds arbitrary cookies to decode, verify and inspect: they
// must never panic, must exit 0 or 1, and decode must print one JSON object
// when it succeeds.
func FuzzCookie(f *testing.F) {
	for _, p := range loadVectors(f).Positive {
		f.Add(p.Cookie, true)
	}
	for _, n := range loadVectors(f).Negative {
		f.Add(n.Cookie, false)
	}
	f.Add(".", true)
	f.Add("..", false)
	f.Add(".eJwDAAAAAAE.AA.AAAAAAAAAAAAAAAAAAAAAAAAAAA", false)
	f.Fuzz(func(t *testing.T, cookie string, keyed bool) {
		keys := []string{"--secret", "public-test-secret-1", "--now", "1700000060"}
		if !keyed {
			keys = []string{"--max-age", "0"}
		}
		for _, cmd := range []string{"decode", "inspect", "verify"} {
			if cmd == "verify" && !keyed {
				continue
			}
			args := append(append([]string{cmd}, keys...), "--", cookie)
			code, out, _ := cli(t, "", args...)
			if code != exitOK && code != exitInvalid {
				t.Fatalf("%s %q: exit %d", cmd, cookie, code)
			}
			if cmd == "decode" && code == exitOK {
				if !strings.HasPrefix(out, "{") || strings.Count(out, "\n") != 1 {
					t.Fatalf("decode %q: output %q", cookie, out)
				}
				jsonValue(t, out)
			}
		}
	})
}

// FuzzSign signs arbitrary stdin; whatever it accepts must decode again,
// and what it decodes to must survive another sign and decode unchanged.
// (The first round may normalise: Flask reads the year 0002 back as 2002.)
func FuzzSign(f *testing.F) {
	for _, p := range loadVectors(f).Positive {
		if p.Session != nil {
			f.Add(mustJSON(f, p.Session), true)
		}
	}
	f.Add(`{"a": 1.0, "b": [1, 2, {"c": null}], "d": -0}`, false)
	f.Add(`{"n": 123456789012345678901234567890, "f": 1e400}`, false)
	f.Add(`{"$tuple": 1}`, false)
	f.Fuzz(func(t *testing.T, stdin string, typed bool) {
		args := []string{"sign", "--secret", "k", "--timestamp", "1700000000"}
		if typed {
			args = append(args, "--typed")
		}
		code, cookie, errs := cli(t, stdin, args...)
		if code == exitUsage {
			return
		}
		if code != exitOK {
			t.Fatalf("sign %q: exit %d: %s", stdin, code, errs)
		}
		cookie = strings.TrimSuffix(cookie, "\n")
		dec := mustRunT(t, exitOK, "", "decode", "--typed", "--secret", "k", "--now", "1700000000", "--", cookie)
		again := mustRunT(t, exitOK, dec, "sign", "--typed", "--secret", "k", "--timestamp", "1700000000")
		dec2 := mustRunT(t, exitOK, "", "decode", "--typed", "--secret", "k", "--now", "1700000000", "--", strings.TrimSuffix(again, "\n"))
		if dec2 != dec {
			t.Fatalf("sign %q decodes to\n%s\nsigned again and decoded:\n%s", stdin, dec, dec2)
		}
	})
}

func mustRunT(t *testing.T, want int, stdin string, args ...string) string {
	t.Helper()
	out, _ := mustRun(t, want, stdin, args...)
	return out
}
