package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flaskgo/session"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Session keys the demo uses. "_user_id" is Flask-Login's key and the
// Manager's default UserIDKey, so stores with a UserIndex can list a user's
// sessions.
const (
	keyUser     = session.DefaultUserIDKey
	keyCart     = "cart"
	keyTheme    = "theme"
	keyLang     = "lang"
	keyLastSeen = "last_seen"  // Unix seconds, server-side mode only
	keyAgent    = "user_agent" // server-side mode only
)

const (
	// maxQty caps one cart line, which also bounds the cookie size.
	maxQty = 99
	// lastSeenEvery is how stale "last seen" may get before a request
	// rewrites it: writing it on every request would make every request a
	// store write.
	lastSeenEvery = time.Minute
	// maxAgentLen bounds the user agent kept in the session.
	maxAgentLen = 200
	// maxFormBytes bounds a POST body; the demo's forms are tiny.
	maxFormBytes = 64 << 10
)

// Config configures the demo application.
type Config struct {
	// Secret signs (or encrypts) cookies; Flask's SECRET_KEY. Required.
	Secret string
	// Store selects where sessions live; see parseStoreSpec. Empty means the
	// signed cookie.
	Store string
	// Logger receives request and error logs; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Metrics mounts /metrics: the session metrics of promsession, in
	// Prometheus' text format.
	Metrics bool
}

// app is the demo shop. It is an http.Handler; Close releases its store.
type app struct {
	cfg     Config
	spec    storeSpec
	mgr     *session.Manager
	csrf    *csrfGuard
	logins  *loginLimiter
	store   openedStore
	pages   map[string]*template.Template
	log     *slog.Logger
	handler http.Handler
	metrics http.Handler // nil unless Config.Metrics
}

// newApp builds the application: it opens (and migrates) the store the
// config names and wires routes and middleware.
func newApp(ctx context.Context, cfg Config) (*app, error) {
	if cfg.Secret == "" {
		return nil, errors.New("sessiondemo: empty secret")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	spec, err := parseStoreSpec(cfg.Store)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, spec: spec, log: cfg.Logger, csrf: newCSRFGuard(cfg.Secret), logins: newLoginLimiter(cfg.Now)}
	if a.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	if a.store, err = openStore(ctx, spec, cfg.Logger); err != nil {
		return nil, err
	}
	var observer session.Observer
	if cfg.Metrics {
		if observer, a.metrics, err = newMetrics(); err != nil {
			_ = a.store.close()
			return nil, err
		}
	}
	a.mgr, err = session.New(session.Config{
		Observer:     observer,
		SecretKey:    cfg.Secret,
		Encrypted:    spec.kind == kindEncrypted,
		Store:        a.store.store,
		Revocations:  a.store.revocations,
		Logger:       cfg.Logger,
		Now:          cfg.Now,
		ErrorHandler: a.sessionFailed,
		OnInvalidCookie: func(r *http.Request, err error) {
			cfg.Logger.Info("session cookie rejected; continuing with a fresh session", "path", r.URL.Path, "reason", err)
		},
	})
	if err != nil {
		_ = a.store.close()
		return nil, err
	}
	a.handler = a.routes()
	return a, nil
}

// Close releases the store.
func (a *app) Close() error { return a.store.close() }

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.shop)
	mux.HandleFunc("GET /cart", a.cart)
	mux.HandleFunc("POST /cart/add", a.cartAdd)
	mux.HandleFunc("POST /cart/update", a.cartUpdate)
	mux.HandleFunc("POST /cart/remove", a.cartRemove)
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /prefs", a.prefsPage)
	mux.HandleFunc("POST /prefs", a.savePrefs)
	mux.HandleFunc("GET /inspect", a.inspect)
	mux.HandleFunc("GET /devices", a.devices)
	mux.HandleFunc("POST /devices/logout-others", a.logoutOthers)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, http.StatusNotFound, tr(langOf(session.From(r)), "There is no page at %s.", r.URL.Path))
	})

	// Static files bypass the session middleware: they never need the
	// session, and must not make a visitor's first stylesheet request a
	// session write.
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	top := http.NewServeMux()
	top.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	if a.metrics != nil {
		// Outside the session middleware too: a scraper has no session.
		top.Handle("GET /metrics", a.metrics)
	}
	top.Handle("/", a.mgr.Handler(a.checkCSRF(a.trackDevice(mux))))
	return a.logRequests(top)
}

// ---- middleware ----

// statusWriter remembers the status and size of a response for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request and turns a handler panic into a
// 500 page instead of a dropped connection.
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					a.errorPage(sw, r, http.StatusInternalServerError, "Something broke on our side.")
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			a.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
				"bytes", sw.bytes, "duration", time.Since(start).Round(time.Microsecond))
		}()
		next.ServeHTTP(sw, r)
	})
}

// checkCSRF rejects a POST from another origin, or whose csrf_token field
// is not the token of the visitor's nonce cookie and session user (see
// csrfGuard).
func (a *app) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		refuse := func(reason string) {
			a.log.Warn("CSRF check failed", "path", r.URL.Path, "reason", reason)
			a.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this site. Reload the page and try again.")
		}
		if err := a.csrf.origin.Check(r); err != nil {
			refuse("cross-origin request")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			a.fail(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		got := r.PostForm.Get("csrf_token")
		switch {
		case got == "":
			refuse("no token in the form")
		case nonceOf(r) == "":
			refuse("no nonce cookie")
		case !a.csrf.valid(r, session.From(r).GetString(keyUser), got):
			refuse("token does not match")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// trackDevice records, in server-side mode, when a logged-in session was
// last used and from which browser, for the devices page. It writes at most
// once a minute per session (or when the browser changes).
func (a *app) trackDevice(next http.Handler) http.Handler {
	if !a.spec.serverSide() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.touchDevice(session.From(r), r, false)
		next.ServeHTTP(w, r)
	})
}

func (a *app) touchDevice(s *session.Session, r *http.Request, force bool) {
	if !a.spec.serverSide() || s.GetString(keyUser) == "" {
		return
	}
	now := a.cfg.Now()
	agent := r.UserAgent()
	if len(agent) > maxAgentLen {
		agent = agent[:maxAgentLen]
	}
	last, _ := session.Get[int64](s, keyLastSeen)
	if force || now.Sub(time.Unix(last, 0)) >= lastSeenEvery || s.GetString(keyAgent) != agent {
		s.Set(keyLastSeen, now.Unix())
		s.Set(keyAgent, agent)
	}
}

// ---- rendering ----

// pageData is what every template gets.
type pageData struct {
	Title      string
	Page       string // nav entry to highlight; also body[data-page]
	RID        string // per-response random id, so tests can tell pages apart
	User       *user
	CSRF       string
	Flashes    []session.Flash
	Theme      string
	Lang       string
	CartCount  int
	Mode       string
	ServerSide bool
	Data       any
}

// T translates a UI string into the page's language.
func (p *pageData) T(format string, args ...any) string { return tr(p.Lang, format, args...) }

// Money formats cents in the page's language.
func (p *pageData) Money(cents int64) string { return money(p.Lang, cents) }

var pageNames = []string{"shop", "cart", "login", "prefs", "inspect", "devices", "error"}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// base reads what every page shows from the session: it pops the flash
// messages and computes the CSRF token (setting a nonce cookie if needed;
// nothing is written to the session for it).
func (a *app) base(w http.ResponseWriter, r *http.Request, page, title string) *pageData {
	s := session.From(r)
	p := &pageData{
		Title:      title,
		Page:       page,
		RID:        randomHex(8),
		User:       userByID(s.GetString(keyUser)),
		Theme:      themeOf(s),
		Lang:       langOf(s),
		Mode:       a.spec.String(),
		ServerSide: a.spec.serverSide(),
	}
	p.CSRF = a.csrf.formToken(w, r, s.GetString(keyUser))
	p.Flashes = s.Flashes()
	for _, q := range a.cartOf(r) {
		p.CartCount += q
	}
	if title != "" {
		p.Title = p.T(title)
	}
	return p
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 and the session commits before any byte leaves.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name string, p *pageData) {
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		a.log.Error("template failed", "page", name, "err", err)
		a.errorPage(w, r, http.StatusInternalServerError, "This page could not be drawn.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorData is the error page's Data.
type errorData struct {
	Status  int
	Heading string
	Message string
}

// fail answers with the error page, in the visitor's language and theme.
// A message that is a key of translations is translated here.
func (a *app) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	p := a.base(w, r, "", http.StatusText(status))
	p.Data = errorData{Status: status, Heading: http.StatusText(status), Message: p.T(message)}
	a.render(w, r, status, "error", p)
}

// errorPage answers without touching the session: it is used when the
// session itself failed.
func (a *app) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	p := &pageData{
		Title: http.StatusText(status), RID: randomHex(8), Theme: "light", Lang: "en",
		Mode: a.spec.String(), ServerSide: a.spec.serverSide(),
		Data: errorData{Status: status, Heading: http.StatusText(status), Message: message},
	}
	a.render(w, r, status, "error", p)
}

// sessionFailed is the Manager's ErrorHandler: the session could not be
// saved, so the handler's response was discarded.
func (a *app) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, session.ErrStore):
		a.log.Error("session store failed", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		a.errorPage(w, r, http.StatusServiceUnavailable,
			"Our session store is not answering right now, so we cannot remember your cart. Please try again in a moment.")
	case errors.Is(err, session.ErrTooLarge):
		a.log.Error("session too large for a cookie", "path", r.URL.Path, "err", err)
		a.errorPage(w, r, http.StatusInternalServerError,
			"Your session grew beyond the 4 KB a cookie can hold. Remove something from your cart, or run the demo with a server-side store.")
	default:
		a.log.Error("session commit failed", "path", r.URL.Path, "err", err)
		a.errorPage(w, r, http.StatusInternalServerError, "Your session could not be saved.")
	}
}

// redirect answers a POST with 303 See Other, the Post/Redirect/Get pattern.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, else "/": an open
// redirect would let a link log a visitor in and send them elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return next
}

// ---- session helpers ----

// maxPendingFlashes bounds the flash messages waiting in a session. A
// client that posts without ever reading a page (a script) would otherwise
// grow the cookie until it no longer fits.
const maxPendingFlashes = 5

// flash queues a message, dropping the oldest beyond maxPendingFlashes.
func flash(s *session.Session, message, category string) {
	if v, ok := s.Get(session.KeyFlashes); ok {
		if list, ok := v.([]any); ok && len(list) >= maxPendingFlashes {
			s.Set(session.KeyFlashes, append([]any(nil), list[len(list)-maxPendingFlashes+1:]...))
		}
	}
	s.Flash(message, category)
}

func themeOf(s *session.Session) string {
	if t := s.GetString(keyTheme); validOption(themes, t) {
		return t
	}
	return "light"
}

func langOf(s *session.Session) string {
	if l := s.GetString(keyLang); validOption(languages, l) {
		return l
	}
	return "en"
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+: it crashes instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- login, logout, preferences ----

type loginData struct {
	Next string // where to go after logging in
}

func (a *app) loginPage(w http.ResponseWriter, r *http.Request) {
	p := a.base(w, r, "login", "Log in")
	p.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	a.render(w, r, http.StatusOK, "login", p)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	lang := langOf(s)
	name := strings.ToLower(strings.TrimSpace(r.PostForm.Get("username")))
	if len(name) > 64 {
		name = name[:64] // no demo name is longer; bounds the throttle's keys and the log
	}
	client := clientKey(r)
	if wait, ok := a.logins.allow(name, client); !ok {
		secs := retrySeconds(wait)
		a.log.Warn("login throttled", "user", name, "client", client, "retry_after", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		a.fail(w, r, http.StatusTooManyRequests, tr(lang, "Too many login attempts. Try again in %d seconds.", secs))
		return
	}
	release, ok := a.logins.hashSlot(r.Context())
	if !ok {
		a.logins.refund(name, client)
		a.log.Warn("login refused: every password-hash slot is busy", "client", client)
		w.Header().Set("Retry-After", "1")
		a.fail(w, r, http.StatusServiceUnavailable, "Too many logins are being checked right now. Try again in a moment.")
		return
	}
	u := authenticate(name, r.PostForm.Get("password"))
	release()
	if u == nil {
		a.log.Info("login failed", "user", name, "client", client)
		flash(s, tr(lang, "Unknown user name or wrong password."), "error")
		redirect(w, r, "/login")
		return
	}
	// A new privilege level gets a new session id (server-side) or a fresh
	// signature, and a new CSRF nonce (the token also binds the user id):
	// nothing an attacker planted before the login stays valid after it.
	a.logins.refund(name, "")
	s.Renew()
	s.Set(keyUser, u.ID)
	a.csrf.renew(w)
	if r.PostForm.Get("remember") != "" {
		s.SetPermanent(true)
	} else {
		s.Delete(session.KeyPermanent)
	}
	a.touchDevice(s, r, true)
	a.log.Info("login", "user", u.ID, "remember", s.Permanent())
	flash(s, tr(lang, "Welcome back, %s!", u.Name), "success")
	redirect(w, r, safeNext(r.PostForm.Get("next")))
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	theme, lang := s.GetString(keyTheme), s.GetString(keyLang)
	s.Destroy()
	a.csrf.renew(w)
	// Preferences are not secrets; keeping them makes the logged-out page
	// look the same. They start a new session under a new id.
	if theme != "" {
		s.Set(keyTheme, theme)
	}
	if lang != "" {
		s.Set(keyLang, lang)
	}
	flash(s, tr(lang, "You have been logged out."), "info")
	redirect(w, r, "/")
}

type prefsData struct {
	Themes, Languages []option
}

func (a *app) prefsPage(w http.ResponseWriter, r *http.Request) {
	p := a.base(w, r, "prefs", "Preferences")
	p.Data = prefsData{Themes: themes, Languages: languages}
	a.render(w, r, http.StatusOK, "prefs", p)
}

func (a *app) savePrefs(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	theme, lang := r.PostForm.Get("theme"), r.PostForm.Get("lang")
	if !validOption(themes, theme) || !validOption(languages, lang) {
		a.fail(w, r, http.StatusBadRequest, "Unknown theme or language.")
		return
	}
	s.Set(keyTheme, theme)
	s.Set(keyLang, lang)
	flash(s, tr(lang, "Preferences saved."), "success")
	redirect(w, r, "/prefs")
}

// atoiBounded parses a form quantity.
func atoiBounded(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
