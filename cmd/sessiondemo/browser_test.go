package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, driven headless over the DevTools
// protocol.
const chromiumPath = "/usr/bin/chromium"

// scenarioTimeout bounds one browser scenario; a healthy one takes a few
// seconds on two cores.
const scenarioTimeout = 30 * time.Second

// TestBrowser runs the demo in headless Chromium. One browser process (with
// a fresh profile) serves every scenario; each scenario gets its own browser
// context, which has its own cookie jar, like a separate browser profile.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	browser := startBrowser(t)

	t.Run("cart survives a reload", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.login("alice", "wonderland", false)
		b.click(`button[data-add="tea-sencha"]`)
		b.click(`button[data-add="tea-sencha"]`)
		b.click(`button[data-add="pen-fountain"]`)
		if got := b.text("#cart-count"); got != "3" {
			t.Errorf("nav badge = %q, want 3", got)
		}
		b.screenshot("shop")
		b.open("/cart")
		b.reload()
		if tea, pen := b.qty("tea-sencha"), b.qty("pen-fountain"); tea != "2" || pen != "1" {
			t.Fatalf("after a reload the cart has tea %q, pen %q; want 2, 1", tea, pen)
		}
		if got := b.text("#cart-total"); got != "€64.00" {
			t.Errorf("total = %q, want €64.00", got)
		}
		b.screenshot("cart")
	})

	t.Run("a flash message shows once", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.open("/")
		b.click(`button[data-add="candle-cedar"]`)
		if got := b.eval(`Array.from(document.querySelectorAll('.flash-success')).map(e => e.textContent.trim()).join('|')`); got != "Added Cedar candle to your cart." {
			t.Fatalf("flash after adding = %q", got)
		}
		b.reload()
		if n := b.count(".flash"); n != 0 {
			t.Fatalf("%d flash messages after a reload, want 0", n)
		}
	})

	t.Run("cookie is HttpOnly and SameSite=Lax", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.open("/")
		b.click(`button[data-add="socks-wool"]`)
		c := b.sessionCookie()
		if c == nil {
			t.Fatal("the browser holds no session cookie")
		}
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || !c.Session || c.Secure {
			t.Errorf("cookie: HttpOnly %v, SameSite %q, Path %q, Session %v, Secure %v; want true, Lax, /, true, false",
				c.HTTPOnly, c.SameSite, c.Path, c.Session, c.Secure)
		}
		if dc := b.eval(`document.cookie`); strings.Contains(dc, "session") {
			t.Errorf("document.cookie = %q exposes the session cookie", dc)
		}
		// Nor can a script overwrite it.
		b.eval(`(document.cookie = "session=planted; path=/", "")`)
		if after := b.sessionCookie(); after == nil || after.Value != c.Value {
			t.Errorf("a script replaced the HttpOnly cookie")
		}
	})

	t.Run("log out clears the cart", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.login("bob", "builder", false)
		b.click(`button[data-add="mug-enamel"]`)
		b.click("#logout")
		if user := b.attr("body", "data-user"); user != "" {
			t.Fatalf("still logged in as %q", user)
		}
		if got := b.text(".flash-info"); got != "You have been logged out." {
			t.Errorf("flash = %q", got)
		}
		if b.count("#cart-count") != 0 {
			t.Errorf("the nav still shows a cart count")
		}
		b.open("/cart")
		if b.count("#cart-empty") != 1 {
			t.Errorf("the cart is not empty after logout")
		}
	})

	t.Run("remember me makes a persistent cookie", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		for _, remember := range []bool{true, false} {
			b := newTab(t, browser, srv.URL)
			b.login("alice", "wonderland", remember)
			c := b.sessionCookie()
			if c == nil {
				t.Fatal("no session cookie after login")
			}
			if c.Session == remember {
				t.Errorf("remember=%v: Session = %v", remember, c.Session)
			}
			if remember {
				exp := time.Unix(int64(c.Expires), 0)
				if d := time.Until(exp); d < 30*24*time.Hour || d > 32*24*time.Hour {
					t.Errorf("remembered cookie expires in %v, want about 31 days", d)
				}
			} else if c.Expires > 0 {
				t.Errorf("session cookie has an expiry %v", c.Expires)
			}
		}
	})

	t.Run("log out other devices", func(t *testing.T) {
		srv := newTestServer(t, "memory")
		laptop := newTab(t, browser, srv.URL)
		phone := newTab(t, browser, srv.URL)
		laptop.login("alice", "wonderland", false)
		phone.login("alice", "wonderland", true)
		phone.click(`button[data-add="notebook-a5"]`)

		laptop.open("/devices")
		if n := laptop.count("#devices-table tbody tr"); n != 2 {
			t.Fatalf("devices page lists %d sessions, want 2", n)
		}
		if got := laptop.text("#devices-table tr.current strong"); !strings.HasPrefix(got, "Headless Chrome") {
			t.Errorf("current device = %q, want Headless Chrome …", got)
		}
		laptop.screenshot("devices")
		laptop.click("#logout-others")
		if got := laptop.text(".flash-success"); got != "Logged out 1 other session." {
			t.Errorf("flash = %q", got)
		}
		if n := laptop.count("#devices-table tbody tr"); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}

		if status := phone.open("/"); status != 200 {
			t.Fatalf("the logged-out phone got status %d", status)
		}
		if user := phone.attr("body", "data-user"); user != "" {
			t.Fatalf("the phone is still logged in as %q", user)
		}
		if phone.count("#login-link") != 1 || phone.count("#cart-count") != 0 {
			t.Errorf("the phone's page is not anonymous")
		}
		laptop.open("/")
		if user := laptop.attr("body", "data-user"); user != "alice" {
			t.Errorf("the laptop was logged out too (%q)", user)
		}
	})

	t.Run("a cookie copied before logout is dead after it", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.login("alice", "wonderland", false)
		b.click(`button[data-add="tea-sencha"]`)
		copied := b.sessionCookie()
		if copied == nil {
			t.Fatal("no session cookie after login")
		}
		b.click("#logout")
		if user := b.attr("body", "data-user"); user != "" {
			t.Fatalf("still logged in as %q", user)
		}
		// The copy, replayed in another browser context (a thief's).
		thief := newTab(t, browser, srv.URL)
		thief.open("/")
		thief.setSessionCookie(copied, copied.Value)
		if status := thief.open("/cart"); status != 200 {
			t.Fatalf("replayed cookie: status %d, want 200", status)
		}
		if user := thief.attr("body", "data-user"); user != "" {
			t.Fatalf("the copied cookie is still logged in as %q after logout", user)
		}
		if thief.count("#cart-empty") != 1 {
			t.Errorf("the copied cookie still shows the cart")
		}
		thief.screenshot("replayed-after-logout")
	})

	t.Run("log out other devices in cookie mode", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		laptop := newTab(t, browser, srv.URL)
		phone := newTab(t, browser, srv.URL)
		laptop.login("alice", "wonderland", false)
		phone.login("alice", "wonderland", true)
		laptop.open("/devices")
		laptop.click("#logout-others")
		if got := laptop.text(".flash-success"); got != "Logged out every other browser." {
			t.Errorf("flash = %q", got)
		}
		laptop.screenshot("devices-cookie")
		phone.open("/")
		if user := phone.attr("body", "data-user"); user != "" {
			t.Errorf("the phone is still logged in as %q", user)
		}
		laptop.open("/")
		if user := laptop.attr("body", "data-user"); user != "alice" {
			t.Errorf("the laptop was logged out too (%q)", user)
		}
	})

	t.Run("a tampered cookie gives an anonymous page", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.login("alice", "wonderland", false)
		b.click(`button[data-add="tea-sencha"]`)
		b.open("/inspect")
		if got := b.text("#inspect-verdict"); !strings.HasPrefix(got, "valid") {
			t.Errorf("verdict for the real cookie = %q", got)
		}
		b.screenshot("inspector")

		c := b.sessionCookie()
		if c == nil {
			t.Fatal("no session cookie")
		}
		b.setSessionCookie(c, flipSignature(c.Value))
		if status := b.open("/inspect"); status != 200 {
			t.Fatalf("tampered cookie: status %d, want 200", status)
		}
		if user := b.attr("body", "data-user"); user != "" {
			t.Fatalf("a tampered cookie is logged in as %q", user)
		}
		if got := b.text("#inspect-verdict"); !strings.HasPrefix(got, "BAD SIGNATURE") {
			t.Errorf("verdict = %q, want BAD SIGNATURE …", got)
		}
		if b.count("#cart-count") != 0 || b.count("#login-link") != 1 {
			t.Errorf("the page is not anonymous")
		}
		b.screenshot("inspector-tampered")
	})

	t.Run("preferences switch theme and language", func(t *testing.T) {
		srv := newTestServer(t, "memory")
		b := newTab(t, browser, srv.URL)
		b.login("bob", "builder", false)
		b.open("/prefs")
		b.do(chromedp.Click(chromedp.CSS(`input[name=theme][value=dark] + span`)))
		b.do(chromedp.Click(chromedp.CSS(`input[name=lang][value=de] + span`)))
		b.click("#prefs-save")
		if theme, lang := b.attr("html", "data-theme"), b.attr("html", "lang"); theme != "dark" || lang != "de" {
			t.Fatalf("theme %q, lang %q; want dark, de", theme, lang)
		}
		b.click(`a[href="/"]`)
		if got := b.text(`#product-tea-sencha .price`); got != "12,50\u00a0€" {
			t.Errorf("German price = %q", got)
		}
		b.screenshot("shop-dark-de")
		b.open("/inspect")
		b.screenshot("inspector-server-side")
	})
}

// startBrowser launches Chromium with a fresh profile and returns a context
// holding it; it is closed when the test ends.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Unavailable(t, "%s not found; apt-get install chromium to run the browser tests", chromiumPath)
	}
	profile := t.TempDir() // removed after the browser exits: cleanups run last-in, first-out
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
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
	watchdog := time.AfterFunc(scenarioTimeout, cancelBrowser)
	err := chromedp.Do(browser)
	if !watchdog.Stop() {
		t.Fatalf("Chromium did not start within %v", scenarioTimeout)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	if v, err := chromedp.Run(browser, chromedp.Evaluate[string](`navigator.userAgent`)); err == nil {
		t.Logf("browser: %s", v)
	}
	return browser
}

// tab is one page in its own browser context, bound to a test server.
type tab struct {
	t    *testing.T
	ctx  context.Context // with the scenario deadline
	base string
}

func newTab(t *testing.T, browser context.Context, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	watchdog := time.AfterFunc(scenarioTimeout, cancel)
	err := chromedp.Do(ctx) // opens the tab
	if !watchdog.Stop() || err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, scenarioTimeout)
	t.Cleanup(cancelTimeout)
	return &tab{t: t, ctx: tctx, base: base}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// open navigates to path and returns the HTTP status of the document.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("navigate %s: %v", path, err)
	}
	return resp.Status
}

func (b *tab) reload() {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Reload())
	if err != nil || resp.Status != 200 {
		b.t.Fatalf("reload: %v (status %v)", err, resp)
	}
}

// click clicks a link or submit button and waits for the page it leads to
// (after the POST's 303, the page it redirects to), which must be a 200.
func (b *tab) click(sel string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	if resp.Status != 200 {
		b.t.Fatalf("click %s: the page loaded with status %d", sel, resp.Status)
	}
}

func (b *tab) login(name, password string, remember bool) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
	)
	if remember {
		b.do(chromedp.Click(chromedp.CSS(`input[name=remember]`)))
	}
	b.click("#login-submit")
	if got := b.attr("body", "data-user"); got != name {
		b.t.Fatalf("login as %s: page is for %q (flash %q)", name, got, b.eval(`(document.querySelector('.flash')||{}).textContent||''`))
	}
}

// eval runs a JavaScript expression that yields a string.
func (b *tab) eval(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").trim()`, sel))
}

func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => null}).getAttribute(%q) || ""`, sel, name))
}

// qty reads a quantity field of the cart page.
func (b *tab) qty(sku string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`((document.querySelector('tr[data-sku=%q] input[name=qty]') || {}).value || "")`, sku))
}

// sessionCookie returns the session cookie as the browser stores it.
func (b *tab) sessionCookie() *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("Network.getCookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "session" {
			return c
		}
	}
	return nil
}

// setSessionCookie stores value under the session cookie's name with the
// same attributes, as an attacker editing their own cookie would.
func (b *tab) setSessionCookie(c *network.Cookie, value string) {
	b.t.Helper()
	httpOnly := c.HTTPOnly
	_, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: c.Name, Value: value, URL: b.base + "/", Path: c.Path, HTTPOnly: &httpOnly, SameSite: c.SameSite,
	})
	if err != nil {
		b.t.Fatalf("Network.setCookie: %v", err)
	}
	if got := b.sessionCookie(); got == nil || got.Value != value {
		b.t.Fatalf("the browser did not take the edited cookie")
	}
}

// screenshot saves a full-page PNG into the artifacts directory.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := artifactsDir(b.t)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("writing %s: %v", path, err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// artifactsDir is $ARTIFACTS_DIR, or sessiondemo-artifacts in the system
// temporary directory; it outlives the test on purpose.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sessiondemo-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}
