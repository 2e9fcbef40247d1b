package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		cents int64
		want  string
	}{
		{"en", 0, "€0.00"},
		{"en", 1250, "€12.50"},
		{"en", 123456789, "€1,234,567.89"},
		{"fr", 1250, "12,50\u00a0€"},
		{"fr", 123456, "1\u202f234,56\u00a0€"},
		{"de", 123456, "1.234,56\u00a0€"},
		{"de", 5, "0,05\u00a0€"},
		{"en", -1999, "−€19.99"},
		{"xx", 100, "€1.00"},
		{"en", math.MinInt64, "−€92,233,720,368,547,758.08"},
	} {
		if got := money(tc.lang, tc.cents); got != tc.want {
			t.Errorf("money(%q, %d) = %q, want %q", tc.lang, tc.cents, got, tc.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct{ lang, format, want string }{
		{"en", "Cart", "Cart"},
		{"fr", "Cart", "Panier"},
		{"de", "Cart", "Warenkorb"},
		{"de", "not translated", "not translated"},
		{"it", "Cart", "Cart"},
	} {
		if got := tr(tc.lang, tc.format); got != tc.want {
			t.Errorf("tr(%q, %q) = %q, want %q", tc.lang, tc.format, got, tc.want)
		}
	}
	if got := tr("de", "Added %s to your cart.", "Tee"); got != "Tee liegt jetzt im Warenkorb." {
		t.Errorf("German flash = %q", got)
	}
	// Every translation keeps the verbs of the English format.
	for en, tl := range translations {
		for i, s := range tl {
			if strings.Count(s, "%") != strings.Count(en, "%") {
				t.Errorf("translation %d of %q has other verbs: %q", i, en, s)
			}
		}
	}
}

func TestDescribeAgent(t *testing.T) {
	for _, tc := range []struct{ ua, want string }{
		{"", "Unknown browser"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Headless Chrome 156 on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", "Edge 140 on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36", "Chrome 140 on Android"},
		{"curl/8.5.0", "curl 8"},
		{"something else entirely", "Unknown browser"},
	} {
		if got := describeAgent(tc.ua); got != tc.want {
			t.Errorf("describeAgent(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	for _, tc := range []struct {
		name, password, want string
	}{
		{"alice", "wonderland", "alice"},
		{"bob", "builder", "bob"},
		{"alice", "builder", ""},
		{"alice", "Wonderland", ""},
		{"alice", "wonderland ", ""},
		{"carol", "wonderland", ""},
		{"", "", ""},
	} {
		u := authenticate(tc.name, tc.password)
		got := ""
		if u != nil {
			got = u.ID
		}
		if got != tc.want {
			t.Errorf("authenticate(%q, %q) = %q, want %q", tc.name, tc.password, got, tc.want)
		}
	}
	// Only salted hashes are kept: two users' records share no bytes with
	// the passwords, and equal passwords would still hash differently.
	a, b := users()["alice"], users()["bob"]
	if bytes.Equal(a.salt, b.salt) || len(a.hash) != 32 || bytes.Contains(a.hash, []byte("wonderland")) {
		t.Errorf("password records look wrong: %+v", a)
	}
	if bytes.Equal(hashPassword("x", a.salt), hashPassword("x", b.salt)) {
		t.Errorf("the salt does not change the hash")
	}
	if defaultIterations < 100_000 {
		t.Errorf("the production work factor %d is below 100 000", defaultIterations)
	}
}

// TestRun starts the real program loop on a free port, serves a request,
// and shuts it down as SIGINT would.
func TestRun(t *testing.T) {
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := map[string]string{"SESSIONDEMO_STORE": "memory"}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, logger, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("run did not start listening")
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="store-mode">memory<`) {
		t.Fatalf("GET /: status %d; the env var did not pick the memory store?", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not shut down")
	}
	out := logs.String()
	for _, want := range []string{"NO SECRET KEY GIVEN", "sessiondemo listening", "shutting down", "stopped", "method=GET path=/ status=200"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
}

func TestRunFlagErrors(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	noenv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want error
	}{
		{[]string{"-store", "mongodb://x"}, errStoreSpec},
		{[]string{"-nope"}, nil},
		{[]string{"extra"}, nil},
		{[]string{"-h"}, flag.ErrHelp},
	} {
		err := run(context.Background(), tc.args, noenv, logger, nil)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("run(%q) = %v, want an error (%v)", tc.args, err, tc.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{744 * time.Hour, "31 days"},
		{743*time.Hour + 59*time.Minute + 59*time.Second, "31 days"},
		{30*24*time.Hour + 5*time.Hour + 10*time.Minute, "30 days 5 hours"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "1 day"},
		{2*time.Hour + 5*time.Minute + 3*time.Second, "2 hours 5 minutes"},
		{time.Hour, "1 hour"},
		{90 * time.Second, "1 minute 30 seconds"},
		{40 * time.Second, "40 seconds"},
		{1500 * time.Millisecond, "2 seconds"},
		{200 * time.Millisecond, "0 seconds"},
		{0, "expired"},
		{-time.Minute, "expired"},
	} {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "Logged out 1 other session."},
		{"en", 2, "Logged out 2 other sessions."},
		{"en", 0, "Logged out 0 other sessions."},
		{"fr", 3, "3 autres sessions fermées."},
		{"de", 1, "1 andere Sitzung abgemeldet."},
		{"de", 2, "2 andere Sitzungen abgemeldet."},
	} {
		if got := trn(tc.lang, tc.n, "Logged out %d other session.", "Logged out %d other sessions."); got != tc.want {
			t.Errorf("trn(%q, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestEveryStringTranslated: every string the templates pass to .T and
// every literal the Go code passes to tr, trn or fail has a French and a
// German form, so a German page is German wherever the UI is translatable.
func TestEveryStringTranslated(t *testing.T) {
	var sources []string
	for _, glob := range []string{"templates/*.html", "*.go"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || f == "i18n.go" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, string(b))
		}
	}
	res := []*regexp.Regexp{
		regexp.MustCompile(`\.T "([^"]+)"`),
		regexp.MustCompile(`\btr\([^,]+, "([^"]+)"`),
		regexp.MustCompile(`\btrn\([^,]+, [^,]+, "([^"]+)", "([^"]+)"`),
		regexp.MustCompile(`a\.fail\(w, r, http\.Status\w+, "([^"]+)"\)`),
	}
	seen := 0
	for _, src := range sources {
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				for _, s := range m[1:] {
					seen++
					tl, ok := translations[s]
					if !ok || tl[0] == "" || tl[1] == "" {
						t.Errorf("%q has no French and German translation", s)
					}
				}
			}
		}
	}
	if seen < 40 {
		t.Fatalf("found only %d translatable strings; the patterns no longer match the code", seen)
	}
}
