package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/flaskgo/session/internal/browsertest"
)

// TestBrowser runs the demo in headless Chromium. One browser process (with
// a fresh profile) serves every scenario; each scenario gets its own browser
// context, which has its own cookie jar, like a separate browser profile.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	browser := browsertest.Start(t)

	t.Run("cart survives a reload", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		login(t, b, "alice", "wonderland", false)
		b.Click(`button[data-add="tea-sencha"]`)
		b.Click(`button[data-add="tea-sencha"]`)
		b.Click(`button[data-add="pen-fountain"]`)
		if got := b.Text("#cart-count"); got != "3" {
			t.Errorf("nav badge = %q, want 3", got)
		}
		b.Screenshot("shop")
		b.Open("/cart")
		b.Reload()
		if tea, pen := qty(b, "tea-sencha"), qty(b, "pen-fountain"); tea != "2" || pen != "1" {
			t.Fatalf("after a reload the cart has tea %q, pen %q; want 2, 1", tea, pen)
		}
		if got := b.Text("#cart-total"); got != "€64.00" {
			t.Errorf("total = %q, want €64.00", got)
		}
		b.Screenshot("cart")
	})

	t.Run("a flash message shows once", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.Open("/")
		b.Click(`button[data-add="candle-cedar"]`)
		if got := b.Eval(`Array.from(document.querySelectorAll('.flash-success')).map(e => e.textContent.trim()).join('|')`); got != "Added Cedar candle to your cart." {
			t.Fatalf("flash after adding = %q", got)
		}
		b.Reload()
		if n := b.Count(".flash"); n != 0 {
			t.Fatalf("%d flash messages after a reload, want 0", n)
		}
	})

	t.Run("cookie is HttpOnly and SameSite=Lax", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		b.Open("/")
		b.Click(`button[data-add="socks-wool"]`)
		c := b.Cookie("session")
		if c == nil {
			t.Fatal("the browser holds no session cookie")
		}
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || !c.Session || c.Secure {
			t.Errorf("cookie: HttpOnly %v, SameSite %q, Path %q, Session %v, Secure %v; want true, Lax, /, true, false",
				c.HTTPOnly, c.SameSite, c.Path, c.Session, c.Secure)
		}
		if dc := b.Eval(`document.cookie`); strings.Contains(dc, "session") {
			t.Errorf("document.cookie = %q exposes the session cookie", dc)
		}
		// Nor can a script overwrite it.
		b.Eval(`(document.cookie = "session=planted; path=/", "")`)
		if after := b.Cookie("session"); after == nil || after.Value != c.Value {
			t.Errorf("a script replaced the HttpOnly cookie")
		}
	})

	t.Run("log out clears the cart", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		login(t, b, "bob", "builder", false)
		b.Click(`button[data-add="mug-enamel"]`)
		b.Click("#logout")
		if user := b.Attr("body", "data-user"); user != "" {
			t.Fatalf("still logged in as %q", user)
		}
		if got := b.Text(".flash-info"); got != "You have been logged out." {
			t.Errorf("flash = %q", got)
		}
		if b.Count("#cart-count") != 0 {
			t.Errorf("the nav still shows a cart count")
		}
		b.Open("/cart")
		if b.Count("#cart-empty") != 1 {
			t.Errorf("the cart is not empty after logout")
		}
	})

	t.Run("remember me makes a persistent cookie", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		for _, remember := range []bool{true, false} {
			b := newTab(t, browser, srv.URL)
			login(t, b, "alice", "wonderland", remember)
			c := b.Cookie("session")
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
		login(t, laptop, "alice", "wonderland", false)
		login(t, phone, "alice", "wonderland", true)
		phone.Click(`button[data-add="notebook-a5"]`)

		laptop.Open("/devices")
		if n := laptop.Count("#devices-table tbody tr"); n != 2 {
			t.Fatalf("devices page lists %d sessions, want 2", n)
		}
		if got := laptop.Text("#devices-table tr.current strong"); !strings.HasPrefix(got, "Headless Chrome") {
			t.Errorf("current device = %q, want Headless Chrome …", got)
		}
		laptop.Screenshot("devices")
		laptop.Click("#logout-others")
		if got := laptop.Text(".flash-success"); got != "Logged out 1 other session." {
			t.Errorf("flash = %q", got)
		}
		if n := laptop.Count("#devices-table tbody tr"); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}

		if status := phone.Open("/"); status != 200 {
			t.Fatalf("the logged-out phone got status %d", status)
		}
		if user := phone.Attr("body", "data-user"); user != "" {
			t.Fatalf("the phone is still logged in as %q", user)
		}
		if phone.Count("#login-link") != 1 || phone.Count("#cart-count") != 0 {
			t.Errorf("the phone's page is not anonymous")
		}
		laptop.Open("/")
		if user := laptop.Attr("body", "data-user"); user != "alice" {
			t.Errorf("the laptop was logged out too (%q)", user)
		}
	})

	t.Run("a cookie copied before logout is dead after it", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		login(t, b, "alice", "wonderland", false)
		b.Click(`button[data-add="tea-sencha"]`)
		copied := b.Cookie("session")
		if copied == nil {
			t.Fatal("no session cookie after login")
		}
		b.Click("#logout")
		if user := b.Attr("body", "data-user"); user != "" {
			t.Fatalf("still logged in as %q", user)
		}
		// The copy, replayed in another browser context (a thief's).
		thief := newTab(t, browser, srv.URL)
		thief.Open("/")
		thief.SetCookie(copied, copied.Value)
		if status := thief.Open("/cart"); status != 200 {
			t.Fatalf("replayed cookie: status %d, want 200", status)
		}
		if user := thief.Attr("body", "data-user"); user != "" {
			t.Fatalf("the copied cookie is still logged in as %q after logout", user)
		}
		if thief.Count("#cart-empty") != 1 {
			t.Errorf("the copied cookie still shows the cart")
		}
		thief.Screenshot("replayed-after-logout")
	})

	t.Run("log out other devices in cookie mode", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		laptop := newTab(t, browser, srv.URL)
		phone := newTab(t, browser, srv.URL)
		login(t, laptop, "alice", "wonderland", false)
		login(t, phone, "alice", "wonderland", true)
		laptop.Open("/devices")
		laptop.Click("#logout-others")
		if got := laptop.Text(".flash-success"); got != "Logged out every other browser." {
			t.Errorf("flash = %q", got)
		}
		laptop.Screenshot("devices-cookie")
		phone.Open("/")
		if user := phone.Attr("body", "data-user"); user != "" {
			t.Errorf("the phone is still logged in as %q", user)
		}
		laptop.Open("/")
		if user := laptop.Attr("body", "data-user"); user != "alice" {
			t.Errorf("the laptop was logged out too (%q)", user)
		}
	})

	t.Run("a tampered cookie gives an anonymous page", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		b := newTab(t, browser, srv.URL)
		login(t, b, "alice", "wonderland", false)
		b.Click(`button[data-add="tea-sencha"]`)
		b.Open("/inspect")
		if got := b.Text("#inspect-verdict"); !strings.HasPrefix(got, "valid") {
			t.Errorf("verdict for the real cookie = %q", got)
		}
		b.Screenshot("inspector")

		c := b.Cookie("session")
		if c == nil {
			t.Fatal("no session cookie")
		}
		b.SetCookie(c, flipSignature(c.Value))
		if status := b.Open("/inspect"); status != 200 {
			t.Fatalf("tampered cookie: status %d, want 200", status)
		}
		if user := b.Attr("body", "data-user"); user != "" {
			t.Fatalf("a tampered cookie is logged in as %q", user)
		}
		if got := b.Text("#inspect-verdict"); !strings.HasPrefix(got, "BAD SIGNATURE") {
			t.Errorf("verdict = %q, want BAD SIGNATURE …", got)
		}
		if b.Count("#cart-count") != 0 || b.Count("#login-link") != 1 {
			t.Errorf("the page is not anonymous")
		}
		b.Screenshot("inspector-tampered")
	})

	t.Run("preferences switch theme and language", func(t *testing.T) {
		srv := newTestServer(t, "memory")
		b := newTab(t, browser, srv.URL)
		login(t, b, "bob", "builder", false)
		b.Open("/prefs")
		b.Do(chromedp.Click(chromedp.CSS(`input[name=theme][value=dark] + span`)))
		b.Do(chromedp.Click(chromedp.CSS(`input[name=lang][value=de] + span`)))
		b.Click("#prefs-save")
		if theme, lang := b.Attr("html", "data-theme"), b.Attr("html", "lang"); theme != "dark" || lang != "de" {
			t.Fatalf("theme %q, lang %q; want dark, de", theme, lang)
		}
		b.Click(`a[href="/"]`)
		if got := b.Text(`#product-tea-sencha .price`); got != "12,50\u00a0€" {
			t.Errorf("German price = %q", got)
		}
		b.Screenshot("shop-dark-de")
		b.Open("/inspect")
		b.Screenshot("inspector-server-side")
	})
}

// newTab opens a tab on the demo at base, in its own browser context.
func newTab(t *testing.T, browser context.Context, base string) *browsertest.Tab {
	return browsertest.NewTab(t, browser, base, "sessiondemo")
}

// login logs in through the form and checks the page is then name's.
func login(t *testing.T, b *browsertest.Tab, name, password string, remember bool) {
	t.Helper()
	b.Open("/login")
	b.Type(`input[name=username]`, name)
	b.Type(`input[name=password]`, password)
	if remember {
		b.Do(chromedp.Click(chromedp.CSS(`input[name=remember]`)))
	}
	b.Click("#login-submit")
	if got := b.Attr("body", "data-user"); got != name {
		t.Fatalf("login as %s: page is for %q (flash %q)", name, got, b.Eval(`(document.querySelector('.flash')||{}).textContent||''`))
	}
}

// qty reads a quantity field of the cart page.
func qty(b *browsertest.Tab, sku string) string {
	return b.Eval(fmt.Sprintf(`((document.querySelector('tr[data-sku=%q] input[name=qty]') || {}).value || "")`, sku))
}
