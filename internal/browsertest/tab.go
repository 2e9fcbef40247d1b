package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Tab is one page in its own browser context, bound to a base URL. Its
// methods fail the test on any error.
type Tab struct {
	t         *testing.T
	ctx       context.Context // with the tab's deadline
	base      string
	artifacts string
}

// NewTab opens a tab in a new browser context of browser (from Start);
// paths given to its methods are relative to base. Screenshots go to
// ArtifactsDir(t, artifacts).
func NewTab(t *testing.T, browser context.Context, base, artifacts string) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	watchdog := time.AfterFunc(Timeout, cancel)
	err := chromedp.Do(ctx) // opens the tab
	if !watchdog.Stop() || err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, Timeout)
	t.Cleanup(cancelTimeout)
	return &Tab{t: t, ctx: tctx, base: base, artifacts: artifacts}
}

// Do runs chromedp actions.
func (b *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Open navigates to path and returns the HTTP status of the document.
func (b *Tab) Open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("navigate %s: %v", path, err)
	}
	return resp.Status
}

// Reload reloads the page, which must answer 200.
func (b *Tab) Reload() {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Reload())
	if err != nil || resp.Status != 200 {
		b.t.Fatalf("reload: %v (status %v)", err, resp)
	}
}

// Click clicks a link or submit button and waits for the page it leads to
// (after a POST's 303, the page it redirects to), which must be a 200.
func (b *Tab) Click(sel string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	if resp.Status != 200 {
		b.t.Fatalf("click %s: the page loaded with status %d", sel, resp.Status)
	}
}

// Type types text into the field sel.
func (b *Tab) Type(sel, text string) {
	b.t.Helper()
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Eval runs a JavaScript expression that yields a string.
func (b *Tab) Eval(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// Count is the number of elements matching sel.
func (b *Tab) Count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// Text is the trimmed text of the first element matching sel, or "".
func (b *Tab) Text(sel string) string {
	b.t.Helper()
	return b.Eval(fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").trim()`, sel))
}

// Attr is attribute name of the first element matching sel, or "".
func (b *Tab) Attr(sel, name string) string {
	b.t.Helper()
	return b.Eval(fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => null}).getAttribute(%q) || ""`, sel, name))
}

// Cookie returns the cookie called name as the browser stores it for base,
// or nil.
func (b *Tab) Cookie(name string) *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("Network.getCookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// SetCookie stores value under c's name with c's attributes, as someone
// editing (or replaying) their own cookie would.
func (b *Tab) SetCookie(c *network.Cookie, value string) {
	b.t.Helper()
	httpOnly := c.HTTPOnly
	_, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: c.Name, Value: value, URL: b.base + "/", Path: c.Path, HTTPOnly: &httpOnly, SameSite: c.SameSite,
	})
	if err != nil {
		b.t.Fatalf("Network.setCookie: %v", err)
	}
	if got := b.Cookie(c.Name); got == nil || got.Value != value {
		b.t.Fatalf("the browser did not take the edited cookie")
	}
}

// Screenshot saves a full-page PNG as name.png in the artifacts directory.
func (b *Tab) Screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(ArtifactsDir(b.t, b.artifacts), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("writing %s: %v", path, err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}
