package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
)

// The passwords the DSN tests put in store URLs; none may appear in a page,
// a log line or an error.
const (
	dsnSecret1 = "Zq7UserInfoPw"
	dsnSecret2 = "Zq7QueryPw"
)

// TestStoreURLPasswordsNeverShown (issue 8, finding 2): a password in the
// user info or in a query parameter (?password=, ?passwd=) never reaches
// String, parse errors or open errors.
func TestStoreURLPasswordsNeverShown(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"postgres://u@127.0.0.1:1/db?password=" + dsnSecret2, "postgres://127.0.0.1:1/db"},
		{"postgres://u:" + dsnSecret1 + "@127.0.0.1:1/db?sslpassword=" + dsnSecret2, "postgres://127.0.0.1:1/db"},
		{"postgresql://u:" + dsnSecret1 + "@127.0.0.1:1/db", "postgresql://127.0.0.1:1/db"},
		{"mysql://root@127.0.0.1:1/test?passwd=" + dsnSecret2, "mysql://127.0.0.1:1/test"},
		{"mysql://root:" + dsnSecret1 + "@127.0.0.1:1/test?password=" + dsnSecret2, "mysql://127.0.0.1:1/test"},
		{"redis://:" + dsnSecret1 + "@127.0.0.1:1/0", "redis://127.0.0.1:1/0"},
		{"redis://u:" + dsnSecret1 + "@127.0.0.1:1/notanumber", ""},
		{"mysql://u:" + dsnSecret1 + "@127.0.0.1:1/", ""},
		{"mongodb://u:" + dsnSecret1 + "@h/db", ""},
	} {
		spec, err := parseStoreSpec(tc.spec)
		shown := ""
		if err != nil {
			shown = err.Error()
			if tc.want != "" {
				t.Errorf("parseStoreSpec(%q): %v", tc.spec, err)
			}
		} else {
			shown = spec.String()
			if shown != tc.want {
				t.Errorf("String() of %q = %q, want %q", tc.spec, shown, tc.want)
			}
			// Opening fails (nothing listens on port 1); the error must
			// not show the password either.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := openStore(ctx, spec, slog.New(slog.NewTextHandler(io.Discard, nil)))
			cancel()
			if err == nil {
				t.Errorf("openStore(%q) succeeded on port 1", tc.spec)
				continue
			}
			shown += " " + err.Error()
		}
		if strings.Contains(shown, dsnSecret1) || strings.Contains(shown, dsnSecret2) {
			t.Errorf("%q: a password is shown: %s", tc.spec, shown)
		}
	}
	if dsn, err := mysqlDSN("mysql://u@h:3306/d?passwd=" + dsnSecret2); err != nil || !strings.HasPrefix(dsn, "u:"+dsnSecret2+"@tcp(h:3306)/d?") || strings.Contains(dsn, "passwd=") {
		t.Errorf("mysqlDSN with ?passwd= = %q, %v; want the password in the DSN's user info only", dsn, err)
	}
}

// TestStoreURLPasswordNotInPagesOrLogs runs the real program against the
// real PostgreSQL (trust authentication accepts any password) with
// passwords in the URL, and checks the footer of several pages and every
// log line.
func TestStoreURLPasswordNotInPagesOrLogs(t *testing.T) {
	if !reachable("127.0.0.1:5432") {
		testenv.Unavailable(t, "PostgreSQL is not reachable at 127.0.0.1:5432")
	}
	spec := "postgres://postgres:" + dsnSecret1 + "@127.0.0.1:5432/test?sslmode=disable&password=" + dsnSecret2
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-store", spec, "-secret", testSecret}, func(string) string { return "" }, logger, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not start")
	}
	c := newClient(t, "http://"+addr)
	var pages strings.Builder
	for _, path := range []string{"/", "/inspect", "/no/such/page", "/devices"} {
		r := c.get(path)
		if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: status %d", path, r.StatusCode)
		}
		pages.WriteString(r.body)
	}
	c.login("alice", "wonderland", false)
	pages.WriteString(c.get("/devices").body)
	if !strings.Contains(pages.String(), `id="store-mode">postgres://127.0.0.1:5432/test<`) {
		t.Errorf("the footer does not name the store by scheme, host and database")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for what, text := range map[string]string{"pages": pages.String(), "logs": logs.String()} {
		if strings.Contains(text, dsnSecret1) || strings.Contains(text, dsnSecret2) {
			t.Errorf("the %s show a password of the store URL", what)
		}
	}
	if !strings.Contains(logs.String(), "store=postgres://127.0.0.1:5432/test") {
		t.Errorf("the start-up log does not name the store:\n%s", logs.String())
	}
}
