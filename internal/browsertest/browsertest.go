// Package browsertest drives Debian's headless Chromium over the DevTools
// protocol (chromedp) for the repository's browser tests: one browser per
// test, one browser context (its own cookie jar, like a separate browser
// profile) per tab, every step bounded by a deadline, screenshots kept as
// artifacts. A machine without Chromium skips the test, loudly, and fails
// it under CI=true (internal/testenv).
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flaskgo/session/internal/testenv"
)

// ChromiumPath is Debian's Chromium (apt-get install chromium).
const ChromiumPath = "/usr/bin/chromium"

// Timeout bounds a tab's life, and the browser's start; a healthy scenario
// takes a few seconds on two cores.
const Timeout = 30 * time.Second

// Start launches Chromium headless with a fresh profile, with the flags this
// closed network needs (no background networking, updates, sync or QUIC),
// and returns a context holding it. The browser is killed when t ends.
func Start(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		testenv.Unavailable(t, "%s not found; apt-get install chromium to run the browser tests", ChromiumPath)
	}
	profile := t.TempDir() // removed after the browser exits: cleanups run last-in, first-out
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc) // kills Chromium and waits for it
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser and binds it to this context, so it
	// cannot use a shorter-lived one; a watchdog bounds it instead.
	watchdog := time.AfterFunc(Timeout, cancelBrowser)
	err := chromedp.Do(browser)
	if !watchdog.Stop() {
		t.Fatalf("Chromium did not start within %v", Timeout)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", ChromiumPath, err)
	}
	if v, err := chromedp.Run(browser, chromedp.Evaluate[string](`navigator.userAgent`)); err == nil {
		t.Logf("browser: %s", v)
	}
	return browser
}

// ArtifactsDir is $ARTIFACTS_DIR, or name+"-artifacts" in the system
// temporary directory; it outlives the test on purpose.
func ArtifactsDir(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), name+"-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}
