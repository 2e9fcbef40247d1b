package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flaskgo/session/typedjson"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// defaultMaxAge is Flask's PERMANENT_SESSION_LIFETIME default, 31 days.
const defaultMaxAge = 2678400

// cookieFlags are the flags of decode, verify and inspect.
type cookieFlags struct {
	keys   keyFlags
	maxAge int64
	now    int64
	typed  bool
	json   bool
	name   string // inspect only
	fs     *flag.FlagSet
}

func newCookieFlags(name string, withName bool) *cookieFlags {
	c := &cookieFlags{fs: newFlagSet(name)}
	c.keys.register(c.fs)
	c.fs.Int64Var(&c.maxAge, "max-age", defaultMaxAge, "reject cookies signed more than `SECONDS` ago (Flask's PERMANENT_SESSION_LIFETIME; 0 turns the check off)")
	c.fs.Int64Var(&c.now, "now", 0, "judge the age at this `UNIX` time instead of the current time")
	c.fs.BoolVar(&c.typed, "typed", false, "print the session in the typed form of the test vectors ($tuple, $bytes, ...)")
	c.fs.BoolVar(&c.json, "json", false, "print a JSON object with the verdict and details")
	if withName {
		c.fs.StringVar(&c.name, "name", session.DefaultCookieName, "cookie `name`, counted in the size limit")
	}
	return c
}

// clock returns --now, or the current time when it was not given.
func (c *cookieFlags) clock() time.Time {
	if isSet(c.fs, "now") {
		return time.Unix(c.now, 0)
	}
	return time.Now()
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// parseCookieArgs parses the flags and returns the one cookie argument; "-"
// reads it from the first line of stdin.
// setup parses the flags and the COOKIE argument of decode, verify and
// inspect, and builds the signer for the given keys (nil when there are none).
func (c *cookieFlags) setup(s stdio, h helpText, args []string) (token string, nkeys int, sg *signer.Signer, err error) {
	if token, err = c.parse(s, h, args); err != nil {
		return "", 0, nil, err
	}
	keys, err := c.keys.keys()
	if err != nil {
		return "", 0, nil, err
	}
	if sg, err = newSigner(&c.keys, keys); err != nil {
		return "", 0, nil, err
	}
	return token, len(keys), sg, nil
}

func (c *cookieFlags) parse(s stdio, h helpText, args []string) (string, error) {
	pos, err := parse(s, c.fs, h, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageErr("want exactly one COOKIE argument, got %d", len(pos))
	}
	if c.maxAge < 0 {
		return "", usageErr("--max-age must not be negative")
	}
	token := pos[0]
	if token == "-" {
		line, err := bufio.NewReader(io.LimitReader(s.in, signer.MaxTokenLen+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", storeErr(fmt.Errorf("reading the cookie from stdin: %w", err))
		}
		token = strings.TrimSpace(line)
	}
	return stripCookieName(s, token), nil
}

// stripCookieName removes a "name=" prefix, as copied from a browser's
// developer tools or a Cookie header ("session=eyJ..."; a trailing ";" too),
// and says so on stderr. A cookie value never holds "=": base64url has none.
func stripCookieName(s stdio, token string) string {
	name, value, ok := strings.Cut(strings.TrimSuffix(strings.TrimSpace(token), ";"), "=")
	if !ok || name == "" || strings.ContainsAny(name, ".; ") || value == "" {
		return token
	}
	fmt.Fprintf(s.err, "note: using the value of the pasted %q cookie (the %q prefix is not part of the value)\n", name, name+"=")
	return strings.Trim(value, `"`)
}

// newSigner builds the signer for keys, or nil when there are none.
func newSigner(k *keyFlags, keys [][]byte) (*signer.Signer, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	digest, err := k.hash()
	if err != nil {
		return nil, err
	}
	sg, err := signer.New(signer.Config{Keys: keys, Salt: k.salt, Digest: digest})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return sg, nil
}

// opened is what could be learned from a cookie.
type opened struct {
	values     map[string]any
	payload    []byte // JSON text
	signedAt   time.Time
	hasTime    bool
	verified   bool // a key was given and one matched
	keyIndex   int  // of the matching key, -1 if none
	compressed bool
	zlibLen    int // bytes of the compressed payload
	err        error
}

// keyName says which configured key index i is.
func keyName(i int) string {
	if i == 0 {
		return "current"
	}
	return fmt.Sprintf("fallback %d", i)
}

// open verifies and decodes token as Flask would: signature, then age, then
// payload. Without a signer it decodes without any check. err is set when
// the cookie is invalid.
func open(sg *signer.Signer, token string, maxAge int64, now time.Time) opened {
	o := opened{keyIndex: -1}
	o.compressed = strings.HasPrefix(token, ".")
	var err error
	if sg == nil {
		o.payload, o.signedAt, err = signer.DecodeUnverified(token)
	} else {
		o.payload, o.signedAt, o.keyIndex, err = sg.Decode(token, time.Duration(maxAge)*time.Second, now)
		o.verified = err == nil
	}
	if err != nil {
		o.err = err
		return o
	}
	o.hasTime = true
	o.values, err = taggedjson.Unmarshal(o.payload)
	if err != nil {
		o.err = fmt.Errorf("the payload is not a session: %w", err)
	}
	return o
}

var decodeHelp = helpText{
	usage: "sessionctl decode [--secret KEY]... [--secret-file PATH] [--max-age SECONDS] [--now UNIX] [--typed] [--json] COOKIE",
	about: `
Verify COOKIE (a Flask session cookie value; "-" reads it from stdin) with
every given key and print the session as one JSON object on stdout. Cookies
that fail (bad signature, older than --max-age, signed in the future,
malformed, not a session) print the reason on stderr and exit 1.

Without any key the cookie is decoded WITHOUT verification and a warning says
so on stderr: anyone can forge such content.

The default output is plain JSON: tuples become arrays, bytes base64 text,
UUIDs and datetimes (RFC 3339) text, Markup its text, big integers numbers;
NaN and infinities become the strings "NaN", "Infinity", "-Infinity".
--typed keeps every Python type ({"$tuple": [...]}, {"$bytes": "..."}, ...),
the form of the project's test vectors and of 'sign --typed'. --json wraps
the session in an object with the verdict, the signing time and the key.`,
	examples: `  sessionctl decode --secret "$KEY" 'eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8'
  SESSIONCTL_SECRET="$KEY" sessionctl decode --typed "$COOKIE"
  sessionctl decode --secret-file keys.txt --max-age 3600 "$COOKIE"
  sessionctl decode "$COOKIE"        # no key: not verified, for a quick look
  pbpaste | sessionctl decode -`,
}

func runDecode(s stdio, args []string) error {
	c := newCookieFlags("decode", false)
	token, _, sg, err := c.setup(s, decodeHelp, args)
	if err != nil {
		return err
	}
	if sg == nil {
		fmt.Fprintln(s.err, "warning: signature NOT verified (no key given): anyone could have written this content")
	}
	o := open(sg, token, c.maxAge, c.clock())
	if o.err != nil {
		if c.json {
			if err := writeJSON(s.out, map[string]any{"valid": false, "error": o.err.Error()}); err != nil {
				return storeErr(err)
			}
		}
		return invalidErr(fmt.Errorf("invalid cookie: %w", o.err))
	}
	out := render(o.values, c.typed)
	if c.json {
		out = map[string]any{
			"valid":     true,
			"verified":  o.verified,
			"key_index": keyIndexJSON(o),
			"signed_at": o.signedAt.Format(time.RFC3339),
			"session":   out,
		}
	}
	if err := writeJSON(s.out, out); err != nil {
		return storeErr(err)
	}
	return nil
}

func keyIndexJSON(o opened) any {
	if !o.verified {
		return nil
	}
	return o.keyIndex
}

var verifyHelp = helpText{
	usage: "sessionctl verify [--secret KEY]... [--secret-file PATH] [--max-age SECONDS] [--now UNIX] [--json] COOKIE",
	about: `
Check COOKIE's signature with every given key, its age against --max-age and
that its payload is a session, as Flask does before accepting it. The answer
is the exit status (0 valid, 1 invalid); one line on stderr says why. At
least one key is required. --json also prints the verdict as an object.
(--typed is accepted for symmetry with decode and has no effect.)`,
	examples: `  sessionctl verify --secret-file keys.txt "$COOKIE" && echo ok
  SESSIONCTL_SECRET="$KEY" sessionctl verify --max-age 3600 --now 1700000060 "$COOKIE"`,
}

func runVerify(s stdio, args []string) error {
	c := newCookieFlags("verify", false)
	token, nkeys, sg, err := c.setup(s, verifyHelp, args)
	if err != nil {
		return err
	}
	if nkeys == 0 {
		return usageErr("verify needs a key: --secret, --secret-file or %s", envSecret)
	}
	o := open(sg, token, c.maxAge, c.clock())
	if c.json {
		v := map[string]any{"valid": o.err == nil}
		if o.err != nil {
			v["error"] = o.err.Error()
		} else {
			v["key_index"] = o.keyIndex
			v["signed_at"] = o.signedAt.Format(time.RFC3339)
		}
		if err := writeJSON(s.out, v); err != nil {
			return storeErr(err)
		}
	}
	if o.err != nil {
		fmt.Fprintf(s.err, "invalid: %v\n", o.err)
		return errReported(exitInvalid)
	}
	fmt.Fprintf(s.err, "valid: signed at %s with key %d (%s)\n", o.signedAt.Format(time.RFC3339), o.keyIndex, keyName(o.keyIndex))
	return nil
}

var inspectHelp = helpText{
	usage: "sessionctl inspect [--secret KEY]... [--secret-file PATH] [--max-age SECONDS] [--now UNIX] [--name NAME] [--json] COOKIE",
	about: `
Describe COOKIE for a human: its fields with their Python types, when it was
signed (UTC) and how old it is, whether it is expired under --max-age, which
of the given keys verified it (index, and "current" or "fallback N"), whether
the payload is compressed, and its size against the 4096 bytes browsers keep
(name and value together).

The content is shown even when the signature does not verify, so a rejected
cookie can be examined; the exit status is 0 only for a valid cookie (or, with
no key given, for a cookie that decodes), 1 otherwise.`,
	examples: `  sessionctl inspect --secret-file keys.txt "$COOKIE"
  sessionctl inspect --json --secret "$OLD" --secret "$NEW" "$COOKIE"   # which key signed it?`,
}

func runInspect(s stdio, args []string) error {
	c := newCookieFlags("inspect", true)
	token, nkeys, sg, err := c.setup(s, inspectHelp, args)
	if err != nil {
		return err
	}
	now := c.clock()
	r := inspect(sg, nkeys, token, c.maxAge, now)
	if c.json {
		err = writeJSON(s.out, r.json(c, token, now))
	} else {
		err = r.text(s.out, c, token, now)
	}
	if err != nil {
		return storeErr(err)
	}
	if !r.valid {
		return errReported(exitInvalid)
	}
	return nil
}

// inspection is everything inspect reports.
type inspection struct {
	opened
	sigErr  error // why the signature did not verify (with keys)
	ageErr  error // expired or in the future
	valid   bool
	keysLen int
}

func inspect(sg *signer.Signer, keysLen int, token string, maxAge int64, now time.Time) inspection {
	var r inspection
	// Signature first, without the age check, so that an expired cookie
	// still shows which key signed it.
	r.keysLen = keysLen
	if sg != nil {
		r.opened = open(sg, token, 0, now)
		if r.opened.err != nil && !r.opened.verified && !errors.Is(r.opened.err, signer.ErrBadPayload) {
			r.sigErr = r.opened.err
			// Show the content anyway, clearly marked unverified.
			u := open(nil, token, 0, now)
			u.err = r.sigErr
			r.opened = u
		}
	} else {
		r.opened = open(nil, token, 0, now)
	}
	if r.compressed {
		if p := strings.TrimPrefix(token, "."); strings.Count(p, ".") >= 2 {
			seg := p[:strings.IndexByte(p, '.')]
			r.zlibLen = base64.RawURLEncoding.DecodedLen(len(seg))
		}
	}
	if r.hasTime {
		age := now.Unix() - r.signedAt.Unix()
		switch {
		case age < 0:
			r.ageErr = fmt.Errorf("signed %s in the future", human(-age))
		case maxAge > 0 && age > maxAge:
			r.ageErr = fmt.Errorf("expired: signed %s ago, max age %s", human(age), human(maxAge))
		}
	}
	r.valid = r.err == nil && r.ageErr == nil
	return r
}

// human writes a number of seconds the way people read durations: exact
// under a day (1m0s, 2h0m0s), then days and hours (31d, 3d4h), then years and
// days (3y107d).
func human(sec int64) string {
	if sec < 0 {
		return "-" + human(-sec)
	}
	d := sec / 86400
	switch {
	case d == 0:
		return (time.Duration(sec) * time.Second).String()
	case d >= 365:
		if d%365 == 0 {
			return fmt.Sprintf("%dy", d/365)
		}
		return fmt.Sprintf("%dy%dd", d/365, d%365)
	case sec%86400/3600 == 0:
		return fmt.Sprintf("%dd", d)
	}
	return fmt.Sprintf("%dd%dh", d, sec%86400/3600)
}

func (r *inspection) verdict() string {
	switch {
	case r.sigErr != nil:
		return "INVALID: " + r.sigErr.Error()
	case r.err != nil:
		return "INVALID: " + r.err.Error()
	case r.ageErr != nil:
		return "INVALID: " + r.ageErr.Error()
	case r.keysLen == 0:
		return "decodes, but NOT verified (no key given)"
	}
	return "valid"
}

func (r *inspection) text(w io.Writer, c *cookieFlags, token string, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, args...)...)
	}
	row("cookie", "%s", r.verdict())
	switch {
	case r.verified:
		row("signature", "verified by key %d (%s)", r.keyIndex, keyName(r.keyIndex))
	case r.sigErr != nil:
		row("signature", "does not verify with any of the %d given keys", r.keysLen)
	case r.keysLen == 0:
		row("signature", "NOT verified (no key given)")
	default:
		row("signature", "valid, but the payload is damaged")
	}
	if r.hasTime {
		age := now.Unix() - r.signedAt.Unix()
		row("signed at", "%s (%s ago)", r.signedAt.UTC().Format(time.RFC3339), human(age))
		if c.maxAge > 0 {
			exp := r.signedAt.Add(time.Duration(c.maxAge) * time.Second).UTC()
			state := "not expired"
			if r.ageErr != nil {
				state = r.ageErr.Error()
			}
			row("max age", "%s: %s; expires %s", human(c.maxAge), state, exp.Format(time.RFC3339))
		} else {
			row("max age", "not checked (--max-age 0)")
		}
	}
	if r.compressed {
		row("compressed", "yes (zlib: %d bytes, %d bytes of JSON)", r.zlibLen, len(r.payload))
	} else {
		row("compressed", "no (%d bytes of JSON)", len(r.payload))
	}
	size := len(c.name) + len(token)
	over := ""
	if size > session.DefaultMaxCookieSize {
		over = ": TOO LARGE, browsers drop it"
	}
	row("size", "%d bytes; with the name %q %d of %d bytes%s", len(token), c.name, size, session.DefaultMaxCookieSize, over)
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.values == nil {
		return nil
	}
	fmt.Fprintf(w, "fields (%d):\n", len(r.values))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range sortedKeys(r.values) {
		v := r.values[k]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", fieldName(k), pyType(v), short(v, 100))
	}
	return tw.Flush()
}

func (r *inspection) json(c *cookieFlags, token string, now time.Time) map[string]any {
	v := map[string]any{
		"valid":       r.valid,
		"verified":    r.verified,
		"key_index":   nil,
		"key":         nil,
		"compressed":  r.compressed,
		"json_bytes":  len(r.payload),
		"size":        len(token),
		"cookie_size": len(c.name) + len(token),
		"size_limit":  session.DefaultMaxCookieSize,
		"too_large":   len(c.name)+len(token) > session.DefaultMaxCookieSize,
	}
	if r.compressed {
		v["zlib_bytes"] = r.zlibLen
	}
	if r.verified {
		v["key_index"], v["key"] = r.keyIndex, keyName(r.keyIndex)
	}
	if !r.valid || !r.verified {
		v["error"] = strings.TrimPrefix(r.verdict(), "INVALID: ")
	}
	if r.hasTime {
		v["signed_at"] = r.signedAt.UTC().Format(time.RFC3339)
		v["age_seconds"] = now.Unix() - r.signedAt.Unix()
		v["max_age_seconds"] = c.maxAge
		v["expired"] = r.ageErr != nil
		if c.maxAge > 0 {
			v["expires_at"] = r.signedAt.Add(time.Duration(c.maxAge) * time.Second).UTC().Format(time.RFC3339)
		}
	}
	if r.values != nil {
		v["session"] = plain(r.values)
		types := make(map[string]string, len(r.values))
		for k, e := range r.values {
			types[k] = pyType(e)
		}
		v["types"] = types
	}
	return v
}

var signHelp = helpText{
	usage: "sessionctl sign [--secret KEY]... [--secret-file PATH] [--timestamp UNIX] [--typed] [--json] < session.json",
	about: `
Read one JSON object from stdin and print a Flask session cookie value holding
it, signed with the first key at --timestamp (default: now), followed by a
newline. The payload is zlib-compressed when that saves 2 bytes or more, as
Flask does.

Plain JSON maps integers to int, other numbers to float and everything else
to itself. With --typed the input is the typed form of the test vectors
({"$tuple": [...]}, {"$bytes": "..."}, {"$datetime": "..."}, ...), which can
express every type Flask stores. A warning goes to stderr when the cookie
would exceed the 4096 bytes browsers keep. --json prints an object with the
cookie and its size instead.`,
	examples: `  echo '{"user_id": 42}' | sessionctl sign --secret-file keys.txt
  echo '{"_flashes": {"$tuple": []}, "_permanent": true}' | SESSIONCTL_SECRET="$KEY" sessionctl sign --typed
  sessionctl decode --typed --secret "$OLD" "$COOKIE" | sessionctl sign --typed --secret "$NEW"   # re-sign`,
}

func runSign(s stdio, args []string) error {
	var (
		k         keyFlags
		timestamp int64
		asTyped   bool
		asJSON    bool
		name      string
	)
	fs := newFlagSet("sign")
	k.register(fs)
	fs.Int64Var(&timestamp, "timestamp", 0, "sign at this `UNIX` time instead of now")
	fs.BoolVar(&asTyped, "typed", false, "stdin is in the typed form of the test vectors")
	fs.BoolVar(&asJSON, "json", false, "print a JSON object with the cookie and its size")
	fs.StringVar(&name, "name", session.DefaultCookieName, "cookie `name`, counted in the size limit")
	pos, err := parse(s, fs, signHelp, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErr("sign takes no arguments (the session comes on stdin), got %q", pos[0])
	}
	keys, err := k.keys()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return usageErr("sign needs a key: --secret, --secret-file or %s", envSecret)
	}
	sg, err := newSigner(&k, keys)
	if err != nil {
		return err
	}
	obj, err := readObject(s.in)
	if err != nil {
		return err
	}
	var values map[string]any
	if asTyped {
		values, err = fromTyped(obj)
	} else {
		var v any
		v, err = fromPlain(obj)
		values, _ = v.(map[string]any)
	}
	if err != nil {
		return usageErr("stdin: %v", err)
	}
	payload, err := taggedjson.Marshal(values)
	if err != nil {
		return usageErr("the session cannot be encoded: %v", err)
	}
	at := time.Now()
	if isSet(fs, "timestamp") {
		at = time.Unix(timestamp, 0)
	}
	cookie := sg.Encode(payload, at)
	size := len(name) + len(cookie)
	if size > session.DefaultMaxCookieSize {
		fmt.Fprintf(s.err, "warning: the cookie is %d bytes with its name, over the %d bytes browsers keep: they will drop it\n", size, session.DefaultMaxCookieSize)
	}
	if asJSON {
		err = writeJSON(s.out, map[string]any{
			"cookie":      cookie,
			"size":        len(cookie),
			"cookie_size": size,
			"size_limit":  session.DefaultMaxCookieSize,
			"compressed":  strings.HasPrefix(cookie, "."),
			"signed_at":   time.Unix(at.Unix(), 0).UTC().Format(time.RFC3339),
		})
	} else {
		_, err = fmt.Fprintln(s.out, cookie)
	}
	if err != nil {
		return storeErr(err)
	}
	return nil
}

// fromTyped converts a typed-form object (decoded with UseNumber) to
// session values.
func fromTyped(obj map[string]any) (map[string]any, error) {
	v, err := typedjson.ToGo(obj)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the typed value is a %s, not a dict", pyType(v))
	}
	return m, nil
}

// fieldName shows a session key as it is, quoted when that would hide
// something (empty, spaces, control or invalid characters).
func fieldName(k string) string {
	if k == "" || strings.IndexFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError || unicode.IsSpace(r) }) >= 0 {
		return strconv.Quote(k)
	}
	if len(k) > 40 {
		return k[:39] + "…"
	}
	return k
}
