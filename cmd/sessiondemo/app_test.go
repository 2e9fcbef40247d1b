package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// TestSetCookieAttributes checks, with a plain HTTP client, the exact
// Set-Cookie line the demo sends when the cart changes.
func TestSetCookieAttributes(t *testing.T) {
	want := regexp.MustCompile(`^session=[^;\s]+; HttpOnly; Path=/; SameSite=Lax$`)
	for _, store := range []string{"cookie", "encrypted"} {
		t.Run(store, func(t *testing.T) {
			srv := newTestServer(t, store)
			c := newClient(t, srv.URL)
			c.get("/")
			r := c.post("/cart/add", url.Values{"sku": {"tea-sencha"}, "qty": {"3"}})
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST /cart/add: status %d, want 303", r.StatusCode)
			}
			line := sessionSetCookie(r)
			if !want.MatchString(line) {
				t.Fatalf("Set-Cookie = %q, want session=…; HttpOnly; Path=/; SameSite=Lax", line)
			}
			if got := r.Header.Get("Vary"); !strings.Contains(got, "Cookie") {
				t.Errorf("Vary = %q, want it to list Cookie", got)
			}
			if store == "cookie" {
				// The new cookie is Flask's format and holds the cart.
				value := strings.TrimPrefix(strings.SplitN(line, ";", 2)[0], "session=")
				payload, _, err := signer.DecodeUnverified(value)
				if err != nil {
					t.Fatalf("the cookie is not an itsdangerous token: %v", err)
				}
				m, err := taggedjson.Unmarshal(payload)
				if err != nil {
					t.Fatalf("payload is not tagged JSON: %v", err)
				}
				cart, _ := m["cart"].(map[string]any)
				if fmt.Sprint(cart["tea-sencha"]) != "3" {
					t.Errorf("cookie payload cart = %v, want tea-sencha: 3", m["cart"])
				}
			}
		})
	}
	t.Run("memory", func(t *testing.T) {
		// Server-side, the id cookie is set when the session is created (the
		// first write, not the first page view) and not re-sent for a
		// non-permanent session; its attributes are the same.
		srv := newTestServer(t, "memory")
		c := newClient(t, srv.URL)
		if r := c.get("/"); sessionSetCookie(r) != "" {
			t.Fatalf("a page view created a session: Set-Cookie = %q", sessionSetCookie(r))
		}
		r := c.post("/cart/add", url.Values{"sku": {"tea-sencha"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /cart/add: status %d", r.StatusCode)
		}
		if line := sessionSetCookie(r); !want.MatchString(line) {
			t.Fatalf("Set-Cookie = %q", line)
		}
		if q := cartQty(t, c.get("/cart").body, "tea-sencha"); q != 1 {
			t.Fatalf("cart has %d tea, want 1", q)
		}
	})
}

// TestCSRF sends every POST form without a token, with a wrong one and with
// another visitor's; each must be refused with 403 and change nothing.
func TestCSRF(t *testing.T) {
	srv := newTestServer(t, "memory")
	other := newClient(t, srv.URL)
	other.get("/")
	routes := []struct {
		path string
		form url.Values
	}{
		{"/cart/add", url.Values{"sku": {"tea-sencha"}}},
		{"/cart/update", url.Values{"sku": {"tea-sencha"}, "qty": {"0"}}},
		{"/cart/remove", url.Values{"sku": {"tea-sencha"}}},
		{"/login", url.Values{"username": {"alice"}, "password": {"wonderland"}}},
		{"/logout", url.Values{}},
		{"/prefs", url.Values{"theme": {"dark"}, "lang": {"de"}}},
		{"/devices/logout-others", url.Values{}},
	}
	tokens := []struct {
		name  string
		token func(c *client) string
	}{
		{"missing", func(*client) string { return "" }},
		{"wrong", func(*client) string { return newToken() }},
		{"another visitor's", func(*client) string { return other.csrf }},
		{"own token with one byte changed", func(c *client) string { return flip(c.csrf) }},
	}
	for _, rt := range routes {
		for _, tk := range tokens {
			t.Run(rt.path+"/"+tk.name, func(t *testing.T) {
				c := newClient(t, srv.URL)
				c.get("/")
				form := url.Values{}
				for k, v := range rt.form {
					form[k] = v
				}
				if tok := tk.token(c); tok != "" {
					form.Set("csrf_token", tok)
				}
				r := c.postRaw(rt.path, form)
				if r.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403", r.StatusCode)
				}
				if !strings.Contains(r.body, "did not come from this site") {
					t.Errorf("403 page lacks the explanation:\n%s", r.body)
				}
				after := c.get("/prefs")
				if loggedInAs(after.body) != "" || !strings.Contains(after.body, `data-theme="light"`) ||
					strings.Contains(after.body, `id="cart-count"`) {
					t.Errorf("a refused POST changed the session")
				}
			})
		}
		t.Run(rt.path+"/valid", func(t *testing.T) {
			c := newClient(t, srv.URL)
			if r := c.post(rt.path, rt.form); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d with a valid token, want 303", r.StatusCode)
			}
		})
	}
	t.Run("GET is never checked", func(t *testing.T) {
		c := newClient(t, srv.URL)
		if r := c.get("/cart?csrf_token=nonsense"); r.StatusCode != http.StatusOK {
			t.Fatalf("status %d", r.StatusCode)
		}
	})
}

// flipSignature changes one character inside the signature (the last
// dot-separated part) of a signed cookie, keeping the token well-formed.
func flipSignature(token string) string {
	i := strings.LastIndexByte(token, '.')
	return token[:i+1] + flip(token[i+1:])
}

// flip changes one character in the middle of s.
func flip(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestLoginLogout(t *testing.T) {
	for _, store := range []string{"cookie", "memory"} {
		t.Run(store, func(t *testing.T) {
			srv := newTestServer(t, store)
			c := newClient(t, srv.URL)

			for _, bad := range []struct{ user, pass string }{
				{"alice", "wrong"}, {"alice", ""}, {"mallory", "wonderland"}, {"bob", "wonderland"},
			} {
				page := c.login(bad.user, bad.pass, false)
				if got := loggedInAs(page.body); got != "" {
					t.Fatalf("login %s/%s: logged in as %q", bad.user, bad.pass, got)
				}
				if f := flashes(page.body); len(f) != 1 || f[0] != "error: Unknown user name or wrong password." {
					t.Fatalf("login %s/%s: flashes %q", bad.user, bad.pass, f)
				}
			}

			c.submit("/cart/add", url.Values{"sku": {"mug-enamel"}})
			anonCookie, anonCSRF := c.cookie(), c.csrf
			page := c.login(" ALICE ", "wonderland", false)
			if got := loggedInAs(page.body); got != "alice" {
				t.Fatalf("logged in as %q, want alice", got)
			}
			if f := flashes(page.body); len(f) != 1 || f[0] != "success: Welcome back, Alice!" {
				t.Errorf("flashes %q", f)
			}
			if c.csrf == anonCSRF {
				t.Errorf("the CSRF token was not rotated at login")
			}
			if c.cookie() == anonCookie {
				t.Errorf("the session cookie did not change at login (Renew)")
			}
			if q := cartQty(t, c.get("/cart").body, "mug-enamel"); q != 1 {
				t.Errorf("the anonymous cart was lost at login: %d mugs", q)
			}
			if store == "memory" {
				// Renew retired the pre-login id: a planted id is useless.
				fixer := newClient(t, srv.URL)
				fixer.setCookie(anonCookie)
				if got := loggedInAs(fixer.get("/").body); got != "" {
					t.Errorf("the pre-login session id is logged in as %q", got)
				}
			}

			page = c.submit("/logout", nil)
			if got := loggedInAs(page.body); got != "" {
				t.Fatalf("still logged in as %q after logout", got)
			}
			if f := flashes(page.body); len(f) != 1 || f[0] != "info: You have been logged out." {
				t.Errorf("flashes %q", f)
			}
			if !strings.Contains(c.get("/cart").body, `id="cart-empty"`) {
				t.Errorf("the cart survived logout")
			}
		})
	}
}

func TestRememberMe(t *testing.T) {
	srv := newTestServer(t, "cookie")
	for _, remember := range []bool{false, true} {
		t.Run(fmt.Sprint("remember=", remember), func(t *testing.T) {
			c := newClient(t, srv.URL)
			c.get("/")
			r := c.post("/login", url.Values{"username": {"bob"}, "password": {"builder"}, "remember": {map[bool]string{true: "1"}[remember]}})
			line := sessionSetCookie(r)
			if line == "" {
				t.Fatal("login set no cookie")
			}
			hasExpiry := strings.Contains(line, "; Expires=")
			if hasExpiry != remember {
				t.Fatalf("remember=%v but Set-Cookie = %q", remember, line)
			}
			if remember {
				m := regexp.MustCompile(`Expires=([^;]+)`).FindStringSubmatch(line)
				exp, err := http.ParseTime(m[1])
				if err != nil {
					t.Fatal(err)
				}
				if d := time.Until(exp); d < 30*24*time.Hour || d > 32*24*time.Hour {
					t.Errorf("cookie expires in %v, want about 31 days", d)
				}
			}
		})
	}
}

func TestCart(t *testing.T) {
	srv := newTestServer(t, "cookie")
	c := newClient(t, srv.URL)

	page := c.submit("/cart/add", url.Values{"sku": {"tea-sencha"}, "qty": {"2"}})
	if f := flashes(page.body); len(f) != 1 || f[0] != "success: Added Sencha green tea to your cart." {
		t.Fatalf("flashes %q", f)
	}
	if !strings.Contains(page.body, `<span class="badge" id="cart-count">2</span>`) {
		t.Errorf("the nav badge does not show 2 items")
	}
	c.submit("/cart/add", url.Values{"sku": {"pen-fountain"}})
	cart := c.get("/cart").body
	if cartQty(t, cart, "tea-sencha") != 2 || cartQty(t, cart, "pen-fountain") != 1 {
		t.Fatalf("cart page:\n%s", cart)
	}
	if !strings.Contains(cart, `id="cart-total">€64.00<`) {
		t.Errorf("total is not €64.00 (2×12.50 + 39.00)")
	}

	steps := []struct {
		name, path string
		form       url.Values
		flash      string
		tea, pen   int
	}{
		{"update", "/cart/update", url.Values{"sku": {"tea-sencha"}, "qty": {"5"}}, "success: Updated Sencha green tea: 5 in your cart.", 5, 1},
		{"update to 0 removes", "/cart/update", url.Values{"sku": {"tea-sencha"}, "qty": {"0"}}, "info: Removed Sencha green tea from your cart.", 0, 1},
		{"quantity too big", "/cart/update", url.Values{"sku": {"pen-fountain"}, "qty": {"100"}}, "error: Quantities go from 0 to 99.", 0, 1},
		{"quantity not a number", "/cart/update", url.Values{"sku": {"pen-fountain"}, "qty": {"1e3"}}, "error: Quantities go from 0 to 99.", 0, 1},
		{"negative add", "/cart/add", url.Values{"sku": {"pen-fountain"}, "qty": {"-4"}}, "error: Quantities go from 0 to 99.", 0, 1},
		{"unknown product", "/cart/add", url.Values{"sku": {"<script>"}}, "error: That product does not exist.", 0, 1},
		{"add caps at 99", "/cart/add", url.Values{"sku": {"pen-fountain"}, "qty": {"99"}}, "success: Added Fountain pen to your cart.", 0, 99},
		{"remove", "/cart/remove", url.Values{"sku": {"pen-fountain"}}, "info: Removed Fountain pen from your cart.", 0, 0},
	}
	for _, st := range steps {
		page := c.submit(st.path, st.form)
		if f := flashes(page.body); len(f) != 1 || f[0] != st.flash {
			t.Errorf("%s: flashes %q, want %q", st.name, f, st.flash)
		}
		cart := c.get("/cart").body
		if tea, pen := cartQty(t, cart, "tea-sencha"), cartQty(t, cart, "pen-fountain"); tea != st.tea || pen != st.pen {
			t.Errorf("%s: cart has tea %d, pen %d; want %d, %d", st.name, tea, pen, st.tea, st.pen)
		}
	}
	if !strings.Contains(c.get("/cart").body, `id="cart-empty"`) {
		t.Errorf("an empty cart does not say so")
	}
}

func TestPreferences(t *testing.T) {
	srv := newTestServer(t, "cookie")
	c := newClient(t, srv.URL)
	c.login("alice", "wonderland", false)
	page := c.submit("/prefs", url.Values{"theme": {"dark"}, "lang": {"fr"}})
	for _, want := range []string{`data-theme="dark"`, `<html lang="fr"`, "Préférences enregistrées.", ">Boutique<"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("prefs page lacks %q", want)
		}
	}
	if shop := c.get("/").body; !strings.Contains(shop, "12,50\u00a0€") {
		t.Errorf("French prices are not written 12,50 €")
	}
	if r := c.post("/prefs", url.Values{"theme": {"pink"}, "lang": {"fr"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown theme gave status %d, want 400", r.StatusCode)
	}
	page = c.submit("/logout", nil)
	if !strings.Contains(page.body, `data-theme="dark"`) || !strings.Contains(page.body, "Vous êtes déconnecté.") {
		t.Errorf("preferences did not survive logout")
	}
}

// TestLastSeenThrottled checks that the devices bookkeeping writes the
// session at most once a minute, not on every request.
func TestLastSeenThrottled(t *testing.T) {
	var offset atomic.Int64
	start := time.Now()
	now := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	srv := newTestServer(t, "memory", withClock(now))
	c := newClient(t, srv.URL)
	c.login("alice", "wonderland", false)
	c.get("/") // pops nothing, but settles the session

	ctx := context.Background()
	record := func() (int64, uint64) {
		t.Helper()
		infos, err := srv.app.mgr.UserSessions(ctx, "alice")
		if err != nil || len(infos) != 1 {
			t.Fatalf("UserSessions = %v, %v; want one session", infos, err)
		}
		values, rec, err := srv.app.mgr.LoadStored(ctx, infos[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		seen, _ := values[keyLastSeen].(int64)
		return seen, rec.Version
	}
	seen0, v0 := record()
	if seen0 != now().Unix() {
		t.Fatalf("last_seen = %d, want %d", seen0, now().Unix())
	}
	for _, step := range []time.Duration{0, 20 * time.Second, 39 * time.Second} {
		offset.Add(int64(step))
		c.get("/")
		c.get("/cart")
		if seen, v := record(); seen != seen0 || v != v0 {
			t.Fatalf("after %v: last_seen %d, version %d; want no write (%d, %d)",
				time.Duration(offset.Load()), seen, v, seen0, v0)
		}
	}
	offset.Add(int64(2 * time.Second)) // 61 s after the login
	c.get("/")
	seen1, v1 := record()
	if seen1 != now().Unix() || v1 == v0 {
		t.Fatalf("a minute later: last_seen %d (want %d), version %d (want a new one)", seen1, now().Unix(), v1)
	}
	c.get("/")
	if _, v := record(); v != v1 {
		t.Fatalf("a request right after the write wrote again")
	}
	// The same session seen from another browser is recorded at once.
	c.ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
	c.get("/")
	if _, v := record(); v == v1 {
		t.Fatalf("a new user agent was not recorded")
	}
	devices := c.get("/devices").body
	if !strings.Contains(devices, "<strong>Firefox 140 on Windows</strong>") {
		t.Errorf("devices page does not describe the new agent")
	}
}

func TestInspector(t *testing.T) {
	t.Run("cookie", func(t *testing.T) {
		srv := newTestServer(t, "cookie")
		c := newClient(t, srv.URL)
		if body := c.get("/inspect").body; !strings.Contains(body, `id="inspect-verdict">no cookie yet<`) {
			t.Fatalf("a first visit shows a cookie verdict")
		}
		c.submit("/cart/add", url.Values{"sku": {"socks-wool"}, "qty": {"4"}})
		value := c.cookie()
		body := c.get("/inspect").body
		for _, want := range []string{
			`id="inspect-verdict">valid: HMAC-SHA1 signature matches the current secret key<`,
			`id="inspect-raw">` + value + `<`,
			`&#34;socks-wool&#34;: 4`,
			`id="inspect-size">` + strconv.Itoa(len("session")+len(value)) + `<`,
			`id="inspect-signed-at">`,
			`a browser-session cookie`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("inspector lacks %q", want)
			}
		}

		// A tampered cookie: 200, anonymous, and the inspector says why.
		c.setCookie(flipSignature(value))
		r := c.get("/inspect")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("tampered cookie: status %d, want 200", r.StatusCode)
		}
		if !strings.Contains(r.body, "BAD SIGNATURE") {
			t.Errorf("the inspector does not report the bad signature")
		}
		if !strings.Contains(srv.logs.String(), "session cookie rejected") {
			t.Errorf("the rejected cookie was not logged")
		}
	})
	t.Run("memory", func(t *testing.T) {
		srv := newTestServer(t, "memory")
		c := newClient(t, srv.URL)
		c.login("bob", "builder", true)
		body := c.get("/inspect").body
		if !regexp.MustCompile(`id="inspect-store-key">session:[0-9a-f]{64}<`).MatchString(body) {
			t.Errorf("no store key shown")
		}
		if !strings.Contains(body, `id="inspect-ttl">31 days `) {
			t.Errorf("TTL is not written as 31 days")
		}
		if !strings.Contains(body, `&#34;_user_id&#34;: &#34;bob&#34;`) || !strings.Contains(body, "a persistent cookie") {
			t.Errorf("the stored record is not shown")
		}
	})
	t.Run("encrypted", func(t *testing.T) {
		srv := newTestServer(t, "encrypted")
		c := newClient(t, srv.URL)
		c.submit("/cart/add", url.Values{"sku": {"candle-cedar"}})
		body := c.get("/inspect").body
		if !strings.Contains(body, "authentic: the AES-256-GCM tag verified") || !strings.Contains(body, `&#34;candle-cedar&#34;: 1`) {
			t.Errorf("the sealed cookie is not explained:\n%s", body)
		}
		if strings.Contains(c.cookie(), "eyJ") {
			t.Errorf("the sealed cookie looks like readable base64 JSON: %s", c.cookie())
		}
	})
}

func TestDevices(t *testing.T) {
	srv := newTestServer(t, "memory")
	laptop, phone, bob := newClient(t, srv.URL), newClient(t, srv.URL), newClient(t, srv.URL)
	laptop.login("alice", "wonderland", false)
	phone.login("alice", "wonderland", true)
	bob.login("bob", "builder", false)

	body := laptop.get("/devices").body
	if n := strings.Count(body, `data-current="true"`); n != 1 {
		t.Errorf("%d current rows, want 1", n)
	}
	if n := strings.Count(body, `data-current="false"`); n != 1 {
		t.Errorf("%d other rows, want 1 (bob's session must not be listed)", n)
	}
	if !strings.Contains(body, "Log out all other devices (1)") {
		t.Errorf("the button does not count one other device")
	}

	page := laptop.submit("/devices/logout-others", nil)
	if f := flashes(page.body); len(f) != 1 || f[0] != "success: Logged out 1 other session." {
		t.Errorf("flashes %q", f)
	}
	if strings.Count(page.body, `data-current=`) != 1 {
		t.Errorf("other rows remain after logging them out")
	}
	if r := phone.get("/"); r.StatusCode != http.StatusOK || loggedInAs(r.body) != "" {
		t.Errorf("the phone is still logged in (status %d, user %q)", r.StatusCode, loggedInAs(r.body))
	}
	if loggedInAs(laptop.get("/").body) != "alice" || loggedInAs(bob.get("/").body) != "bob" {
		t.Errorf("logging out the others ended the wrong sessions")
	}

	anon := newClient(t, srv.URL)
	if body := anon.get("/devices").body; !strings.Contains(body, "Log in to see your devices") {
		t.Errorf("anonymous devices page does not ask to log in")
	}
}

// TestCookieLogoutSticks checks the cookie modes' revocation list: a copy
// of a cookie taken before logout (or before "log out other devices") is
// refused afterwards, while the browser that acted stays logged in.
func TestCookieLogoutSticks(t *testing.T) {
	for _, store := range []string{"cookie", "encrypted"} {
		t.Run(store, func(t *testing.T) {
			srv := newTestServer(t, store)
			c := newClient(t, srv.URL)
			c.login("alice", "wonderland", false)
			stolen := c.cookie()
			if got := loggedInAs(c.get("/").body); got != "alice" {
				t.Fatalf("after login: user %q", got)
			}
			c.submit("/logout", nil)
			thief := newClient(t, srv.URL)
			thief.setCookie(stolen)
			if got := loggedInAs(thief.get("/").body); got != "" {
				t.Errorf("a cookie copied before logout still logs in as %q", got)
			}

			laptop, phone := newClient(t, srv.URL), newClient(t, srv.URL)
			laptop.login("alice", "wonderland", false)
			phone.login("alice", "wonderland", true)
			page := laptop.get("/devices").body
			if !strings.Contains(page, "cannot be listed, but they can be ended") || !strings.Contains(page, `id="logout-others"`) {
				t.Fatalf("cookie-mode devices page does not offer to log out the others:\n%s", page)
			}
			if page := laptop.submit("/devices/logout-others", nil); !strings.Contains(page.body, "Logged out every other browser.") {
				t.Errorf("no confirmation after logging out the others")
			}
			if got := loggedInAs(laptop.get("/").body); got != "alice" {
				t.Errorf("the browser that logged out the others is now %q", got)
			}
			if got := loggedInAs(phone.get("/").body); got != "" {
				t.Errorf("the other device is still logged in as %q", got)
			}
		})
	}
}

// TestStoreOutage checks the ErrorHandler: a failing store gives a friendly
// 503, not a 500 or a silent loss.
func TestStoreOutage(t *testing.T) {
	srv := newTestServer(t, "memory")
	c := newClient(t, srv.URL)
	c.login("alice", "wonderland", false)
	if err := srv.app.store.close(); err != nil { // the memstore now fails every call
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/cart"} {
		r := c.get(path)
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("GET %s with the store down: status %d, want 503", path, r.StatusCode)
		}
		if !strings.Contains(r.body, "session store is not answering") || r.Header.Get("Retry-After") == "" {
			t.Errorf("503 page is not the friendly one:\n%s", r.body)
		}
	}
	if !strings.Contains(srv.logs.String(), "session store failed") {
		t.Errorf("the outage was not logged")
	}
	if !strings.Contains(srv.logs.String(), session.ErrStoreClosed.Error()) {
		t.Errorf("the log does not say why the store failed")
	}
}

func TestErrorPages(t *testing.T) {
	srv := newTestServer(t, "cookie")
	c := newClient(t, srv.URL)
	r := c.get("/no/such/page")
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "There is no page at /no/such/page.") {
		t.Errorf("404: status %d, body:\n%s", r.StatusCode, r.body)
	}
	// Logging out takes a POST with a token: a link or <img> cannot do it.
	c.login("alice", "wonderland", false)
	if r := c.get("/logout"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /logout: status %d, want 404", r.StatusCode)
	}
	if got := loggedInAs(c.get("/").body); got != "alice" {
		t.Errorf("GET /logout logged out: user %q", got)
	}
	if r := c.get("/static/style.css"); r.StatusCode != http.StatusOK || sessionSetCookie(r) != "" || r.Header.Get("Vary") != "" {
		t.Errorf("stylesheet: status %d, Set-Cookie %q, Vary %q; want 200 without session", r.StatusCode, sessionSetCookie(r), r.Header.Get("Vary"))
	}
	big := newClient(t, srv.URL)
	big.get("/")
	form := url.Values{"csrf_token": {big.csrf}, "pad": {strings.Repeat("x", maxFormBytes)}}
	if r := big.postRaw("/prefs", form); r.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized form: status %d, want 400", r.StatusCode)
	}
}

// TestRedirectsStayLocal guards the login form's next parameter.
func TestRedirectsStayLocal(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"/cart", "/cart"},
		{"/devices?x=1", "/devices?x=1"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/ok\r\nSet-Cookie: x=y", "/"},
	} {
		if got := safeNext(tc.next); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
	srv := newTestServer(t, "cookie")
	c := newClient(t, srv.URL)
	c.get("/login")
	r := c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}, "next": {"//evil.example/"}})
	if loc := r.Header.Get("Location"); loc != "/" {
		t.Errorf("login redirected to %q", loc)
	}
}

// TestFlashesBounded: a script that posts without reading pages must not
// grow the session without bound.
func TestFlashesBounded(t *testing.T) {
	for _, store := range []string{"cookie", "memory"} {
		t.Run(store, func(t *testing.T) {
			srv := newTestServer(t, store)
			c := newClient(t, srv.URL)
			c.get("/")
			for i := 0; i < 40; i++ {
				if r := c.post("/cart/add", url.Values{"sku": {products[i%len(products)].SKU}}); r.StatusCode != http.StatusSeeOther {
					t.Fatalf("POST %d: status %d", i, r.StatusCode)
				}
			}
			f := flashes(c.get("/").body)
			if len(f) != maxPendingFlashes {
				t.Fatalf("%d flashes shown, want the last %d: %q", len(f), maxPendingFlashes, f)
			}
			if last := f[len(f)-1]; last != "success: Added "+products[39%len(products)].Name+" to your cart." {
				t.Errorf("the newest flash is missing: %q", f)
			}
			if f := flashes(c.get("/").body); len(f) != 0 {
				t.Errorf("flashes shown twice: %q", f)
			}
		})
	}
}
