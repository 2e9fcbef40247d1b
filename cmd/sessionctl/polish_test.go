package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHuman(t *testing.T) {
	for sec, want := range map[int64]string{
		0: "0s", 60: "1m0s", 7200: "2h0m0s", 31 * 86400: "31d", 3*86400 + 4*3600 + 59: "3d4h",
		103825786: "3y106d", 365 * 86400: "1y", -60: "-1m0s",
	} {
		if got := human(sec); got != want {
			t.Errorf("human(%d) = %q, want %q", sec, got, want)
		}
	}
}

func TestCounted(t *testing.T) {
	for _, tc := range []struct {
		n          int64
		what, want string
	}{
		{1, "live records", "live record"},
		{2, "live records", "live records"},
		{0, "rows", "rows"},
		{1, "rows", "row"},
		{1, "live records (the store expires records itself)", "live record (the store expires records itself)"},
	} {
		if got := counted(tc.n, tc.what); got != tc.want {
			t.Errorf("counted(%d, %q) = %q, want %q", tc.n, tc.what, got, tc.want)
		}
	}
}

// A cookie pasted with its name, as devtools or a Cookie header show it,
// decodes like the bare value, with a note.
func TestPastedCookieName(t *testing.T) {
	const value = "eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8"
	var bare, named, errs bytes.Buffer
	if code := run([]string{"decode", value}, strings.NewReader(""), &bare, &bytes.Buffer{}); code != 0 {
		t.Fatalf("bare value: exit %d", code)
	}
	if code := run([]string{"decode", "session=" + value + ";"}, strings.NewReader(""), &named, &errs); code != 0 {
		t.Fatalf("session=value: exit %d: %s", code, errs.String())
	}
	if bare.String() != named.String() {
		t.Errorf("session=value decodes to %q, the bare value to %q", named.String(), bare.String())
	}
	if !strings.Contains(errs.String(), `pasted "session" cookie`) {
		t.Errorf("no hint on stderr: %q", errs.String())
	}
}

// Help lists flags in the --flag style of the usage lines.
func TestHelpFlagStyle(t *testing.T) {
	var out bytes.Buffer
	run([]string{"store", "stats", "--help"}, strings.NewReader(""), &out, &out)
	help := out.String()
	if !strings.Contains(help, "\n  --store URL\n") || strings.Contains(help, "\n  -store") {
		t.Errorf("flag list not in --flag style:\n%s", help)
	}
}
