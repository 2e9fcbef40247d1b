package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

var keysHelp = helpText{
	usage: "sessionctl keys [--secret KEY]... [--secret-file PATH] [--max-age SECONDS] [--now UNIX] [--name NAME] [--json] [FILE]",
	about: `
Check a sample of cookies against the configured keys, to know whether a
fallback key still verifies live cookies (and can be retired once it verifies
none). The cookies come from FILE, or stdin when FILE is "-" or missing, one
per line: a raw cookie value, "session=<value>" as copied from a browser, or
a whole Cookie header ("Cookie: a=1; session=<value>"; the cookie named
--name is taken). Blank lines are skipped.

Each cookie lands in exactly one class:
  valid       verified by key N, not older than --max-age, holding a session
  expired     verified by key N but older than --max-age
  future      verified by key N but signed after --now
  unverified  its signature verifies with none of the keys
  malformed   not a signed cookie, a payload that is not a session, or a
              Cookie header without a cookie named --name
Keys are shown by index ("current", "fallback N") and by fingerprint: the
first 12 hex digits of the SHA-256 of the key (printf %s "$KEY" | sha256sum
gives the same digits); the keys themselves are never printed.

Exit status: 0 if every cookie of the sample is valid (or the sample is
empty), 1 if any is not, 2 usage error (no key), 3 cannot read FILE.`,
	examples: `  sessionctl keys --secret-file keys.txt cookies.txt
  grep -o 'session=[^;]*' access.log | sessionctl keys --secret-file keys.txt --json
  sessionctl keys --secret "$NEW" --secret "$OLD" --max-age 3600 - < sample.txt`,
}

// keyCount is one key's share of the sample.
type keyCount struct {
	valid, expired, future int
}

// keysReport is what keys counts.
type keysReport struct {
	cookies    int
	perKey     []keyCount
	valid      int
	expired    int
	future     int
	unverified int
	malformed  int
	tooLong    int // lines over maxSampleLine, counted as malformed
}

// maxSampleLine caps one line of the sample: a cookie (or Cookie header)
// longer than that is not a browser's and counts as malformed.
const maxSampleLine = 64 << 10

func runKeys(s stdio, args []string) error {
	var (
		k      keyFlags
		maxAge int64
		now    int64
		name   string
		asJSON bool
	)
	fs := newFlagSet("keys")
	k.register(fs)
	fs.Int64Var(&maxAge, "max-age", defaultMaxAge, "a cookie signed more than `SECONDS` ago is expired (0 turns the check off)")
	fs.Int64Var(&now, "now", 0, "judge ages at this `UNIX` time instead of the current time")
	fs.StringVar(&name, "name", session.DefaultCookieName, "the cookie `name` to take from Cookie header lines")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	pos, err := parse(s, fs, keysHelp, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("want at most one FILE, got %d arguments", len(pos))
	}
	if maxAge < 0 {
		return usageErr("--max-age must not be negative")
	}
	keys, err := k.keys()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return usageErr("keys needs the keys to check: --secret, --secret-file or %s", envSecret)
	}
	sg, err := newSigner(&k, keys)
	if err != nil {
		return err
	}
	in, source := s.in, "stdin"
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return storeErr(fmt.Errorf("cookie sample: %w", err))
		}
		defer f.Close()
		in, source = f, pos[0]
	}
	at := time.Now()
	if isSet(fs, "now") {
		at = time.Unix(now, 0)
	}
	r := keysReport{perKey: make([]keyCount, len(keys))}
	err = eachLine(in, maxSampleLine, func(line []byte, truncated bool) {
		if truncated {
			r.cookies++
			r.malformed++
			r.tooLong++
			return
		}
		token, ok := sampleCookie(string(line), name)
		if token == "" && ok {
			return // blank line
		}
		r.cookies++
		if !ok {
			r.malformed++
			return
		}
		r.add(classify(sg, token, maxAge, at))
	})
	if err != nil {
		return storeErr(fmt.Errorf("reading %s: %w", source, err))
	}
	if r.cookies == 0 {
		fmt.Fprintf(s.err, "warning: %s holds no cookies\n", source)
	}
	if asJSON {
		err = writeJSON(s.out, r.json(keys, maxAge, at))
	} else {
		err = r.text(s.out, keys, maxAge)
	}
	if err != nil {
		return storeErr(err)
	}
	if r.valid != r.cookies {
		return errReported(exitInvalid)
	}
	return nil
}

// eachLine calls fn for every line of r without its line end (LF or CRLF).
// A line longer than limit is passed truncated (and flagged) instead of
// failing the whole read.
func eachLine(r io.Reader, limit int, fn func(line []byte, truncated bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	over := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 {
			over = true
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 || over {
			fn(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), over)
		}
		line, over = line[:0], false
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sampleCookie takes the cookie value out of one line of the sample: a raw
// value, "name=value" or a Cookie header. It returns "", true for a blank
// line, and ok false for a line with pairs but none called name.
func sampleCookie(line, name string) (token string, ok bool) {
	line = strings.TrimSpace(line)
	if len(line) > 7 && strings.EqualFold(line[:7], "cookie:") {
		line = strings.TrimSpace(line[7:])
	}
	line = strings.TrimSpace(strings.TrimSuffix(line, ";"))
	if line == "" {
		return "", true
	}
	// A cookie value is base64url and dots: it never holds "=".
	if !strings.Contains(line, "=") {
		return line, true
	}
	for _, pair := range strings.Split(line, ";") {
		n, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if n == name {
			v = strings.Trim(strings.TrimSpace(v), `"`)
			return v, v != ""
		}
	}
	return "", false
}

// verdict is the class of one cookie; key is the index of the key that
// verified it, -1 for none.
type verdict struct {
	class string // valid, expired, future, unverified, malformed
	key   int
}

// classify judges one cookie as Flask would: signature with every key, then
// age, then payload. The age is checked after the signature, so an expired
// cookie still names the key that signed it.
func classify(sg *signer.Signer, token string, maxAge int64, now time.Time) verdict {
	payload, signedAt, idx, err := sg.Decode(token, 0, now)
	switch {
	case errors.Is(err, signer.ErrBadSignature):
		return verdict{"unverified", -1}
	case err != nil:
		return verdict{"malformed", -1}
	}
	age := now.Unix() - signedAt.Unix()
	switch {
	case age < 0:
		return verdict{"future", idx}
	case maxAge > 0 && age > maxAge:
		return verdict{"expired", idx}
	}
	if _, err := taggedjson.Unmarshal(payload); err != nil {
		return verdict{"malformed", idx}
	}
	return verdict{"valid", idx}
}

func (r *keysReport) add(v verdict) {
	switch v.class {
	case "valid":
		r.valid++
		r.perKey[v.key].valid++
	case "expired":
		r.expired++
		r.perKey[v.key].expired++
	case "future":
		r.future++
		r.perKey[v.key].future++
	case "unverified":
		r.unverified++
	default:
		r.malformed++
	}
}

// fingerprint identifies a key without revealing it: the first 12 hex
// digits of its SHA-256.
func fingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:6])
}

func percent(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

func (r *keysReport) text(w io.Writer, keys [][]byte, maxAge int64) error {
	fmt.Fprintf(w, "cookies: %d\n\n", r.cookies)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tFINGERPRINT\tVALID\tSHARE\tEXPIRED\tFUTURE")
	for i, c := range r.perKey {
		fmt.Fprintf(tw, "%d (%s)\t%s\t%d\t%s\t%d\t%d\n", i, keyName(i), fingerprint(keys[i]), c.valid, percent(c.valid, r.cookies), c.expired, c.future)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	age := "older than " + human(maxAge)
	if maxAge == 0 {
		age = "no --max-age"
	}
	malformed := ""
	if r.tooLong > 0 {
		malformed = fmt.Sprintf("%d lines over %d bytes", r.tooLong, maxSampleLine)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range []struct {
		name string
		n    int
		note string
	}{
		{"valid", r.valid, ""},
		{"expired", r.expired, age},
		{"future", r.future, "signed after now"},
		{"unverified", r.unverified, "no key verifies them"},
		{"malformed", r.malformed, malformed},
	} {
		note := percent(row.n, r.cookies)
		if row.note != "" {
			note += ", " + row.note
		}
		fmt.Fprintf(tw, "%s:\t%d\t(%s)\n", row.name, row.n, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i := 1; i < len(r.perKey); i++ {
		if r.cookies > 0 && r.perKey[i].valid == 0 {
			fmt.Fprintf(w, "fallback %d verifies no valid cookie of this sample: it can be retired if the sample is representative\n", i)
		}
	}
	return nil
}

func (r *keysReport) json(keys [][]byte, maxAge int64, now time.Time) map[string]any {
	ks := make([]map[string]any, len(r.perKey))
	for i, c := range r.perKey {
		ks[i] = map[string]any{
			"index":       i,
			"key":         keyName(i),
			"fingerprint": fingerprint(keys[i]),
			"valid":       c.valid,
			"expired":     c.expired,
			"future":      c.future,
		}
	}
	return map[string]any{
		"cookies":         r.cookies,
		"keys":            ks,
		"valid":           r.valid,
		"expired":         r.expired,
		"future":          r.future,
		"unverified":      r.unverified,
		"malformed":       r.malformed,
		"max_age_seconds": maxAge,
		"now":             now.UTC().Format(time.RFC3339),
	}
}
