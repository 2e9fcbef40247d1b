package fsinterop

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/typedjson"
)

// Run is the scenario: Flask writes every kind of value and Go reads it;
// Go changes it and Flask reads the change; Go creates a session and Flask
// reads it; flashes both ways; a forged cookie is refused; Go clears the
// session and the record is gone for both.
func (x *Pair) Run(t *testing.T) {
	// 1. Flask writes every kind of value; Go reads them with Flask's cookie.
	flaskValues := map[string]any{"$dict": []any{
		[]any{"user_id", 42},
		[]any{"username", "h\u00e9llo \u2603 \U0001F600"},
		[]any{"huge", json.Number("1180591620717411303424")},
		[]any{"neg", -129},
		[]any{"pi", map[string]any{"$float": "3.14159"}},
		[]any{"negzero", map[string]any{"$float": "-0.0"}},
		[]any{"none", nil},
		[]any{"yes", true},
		[]any{"blob", map[string]any{"$bytes": "AAH+/2Jpbg=="}},
		[]any{"pair", map[string]any{"$tuple": []any{1, "a"}}},
		[]any{"nested", map[string]any{"$dict": []any{[]any{"a", []any{1, 2, map[string]any{"$dict": []any{[]any{"b", nil}}}}}}}},
		[]any{"tags", map[string]any{"$set": []any{5}}},
		[]any{"when_naive", map[string]any{"$datetime": "2024-01-02T03:04:05.678901"}},
		[]any{"when_utc", map[string]any{"$datetime": "2024-01-02T03:04:05+00:00"}},
		[]any{"when_plus2", map[string]any{"$datetime": "2024-06-30T23:59:59.000001+02:00"}},
		[]any{"day", map[string]any{"$date": "2024-02-29"}},
		[]any{"markup", map[string]any{"$markup": "<b>bold</b>"}},
		[]any{"uuid", map[string]any{"$uuid": "12345678-1234-5678-1234-567812345678"}},
	}}
	fw := x.Do(t, "POST", x.Flask+"/set", "", flaskValues)
	if !fw.SetCookie || fw.SID == "" {
		t.Fatalf("Flask set no session cookie: %+v", fw)
	}
	if x.Signed != strings.Contains(fw.Cookie, ".") {
		t.Fatalf("Flask cookie %q: signed=%v", fw.Cookie, x.Signed)
	}
	cookie := fw.Cookie
	if p := x.stored(t, fw.SID); !flaskPickle(p) {
		t.Fatalf("Flask stored %x..., want a pickle of Python's own protocol", p[:min(len(p), 2)])
	}
	want := fw.Values(t)
	g := x.Do(t, "GET", x.Go+"/dump", cookie, nil)
	if g.SID != fw.SID {
		t.Fatalf("Go opened session %q, Flask wrote %q", g.SID, fw.SID)
	}
	if d := typedjson.Diff(want, g.Values(t)); d != "" {
		t.Fatalf("Go read Flask's session differently: %s", d)
	}
	if !g.Permanent {
		t.Errorf("Go sees the Flask session as not permanent")
	}

	// 2. Go changes it; Flask reads the change under the same cookie.
	goChange := map[string]any{"$dict": []any{
		[]any{"username", "bob"},
		[]any{"cart", []any{1, 2, map[string]any{"$tuple": []any{"sku", 3}}}},
		[]any{"go_time", map[string]any{"$datetime": "2024-05-06T07:08:09.123456Z"}},
		[]any{"go_blob", map[string]any{"$bytes": base64.StdEncoding.EncodeToString([]byte{0, 0x80, 0xff})}},
		[]any{"go_markup", map[string]any{"$markup": "<i>x</i>"}},
		[]any{"go_big", json.Number("-99999999999999999999999")},
	}}
	gw := x.Do(t, "POST", x.Go+"/set", cookie, goChange)
	if gw.SID != fw.SID {
		t.Fatalf("Go moved the session to %q", gw.SID)
	}
	if p := x.stored(t, fw.SID); !goPickle(p) {
		t.Fatalf("Go stored %x..., want its protocol 2 pickle", p[:2])
	}
	if gw.SetCookie && gw.Cookie != cookie {
		t.Fatalf("Go re-issued cookie %q, want %q", gw.Cookie, cookie)
	}
	fr := x.Do(t, "GET", x.Flask+"/dump", cookie, nil)
	if fr.SID != fw.SID {
		t.Fatalf("Flask opened %q, want %q", fr.SID, fw.SID)
	}
	if d := typedjson.Diff(gw.Values(t), fr.Values(t)); d != "" {
		t.Fatalf("Flask read Go's session differently: %s", d)
	}
	if tp := Field(t, fr.Session, "cart"); !strings.Contains(fmt.Sprint(tp), "$tuple") {
		t.Errorf("Flask got cart %v; the Go Tuple should stay a Python tuple", tp)
	}
	// 0.3.2 rewrote the entry on that request (protocol 4 again); Go still
	// reads the same session.
	if p := x.stored(t, fw.SID); !flaskPickle(p) {
		t.Errorf("Flask did not rewrite the entry (%x...)", p[:min(len(p), 2)])
	}
	if d := typedjson.Diff(gw.Values(t), x.Do(t, "GET", x.Go+"/dump", cookie, nil).Values(t)); d != "" {
		t.Errorf("Go after Flask's rewrite: %s", d)
	}

	// 3. Go creates a session; Flask reads it with Go's cookie.
	gc := x.Do(t, "POST", x.Go+"/set?permanent=1", "", map[string]any{"$dict": []any{
		[]any{"created_by", "go"},
		[]any{"n", 7},
		[]any{"_flashes", []any{map[string]any{"$tuple": []any{"info", "welcome"}}}},
	}})
	// A new session gets its id when it is committed: take it from the cookie.
	gc.SID = gc.Cookie
	if i := strings.LastIndexByte(gc.Cookie, '.'); x.Signed && i >= 0 {
		gc.SID = gc.Cookie[:i]
	}
	if !gc.SetCookie || len(gc.SID) != 43 || gc.SID == fw.SID {
		t.Fatalf("Go created no new session: %+v", gc)
	}
	if x.Signed != strings.Contains(gc.Cookie, ".") {
		t.Fatalf("Go cookie %q: signed=%v", gc.Cookie, x.Signed)
	}
	fc := x.Do(t, "GET", x.Flask+"/dump", gc.Cookie, nil)
	if fc.SID != gc.SID {
		t.Fatalf("Flask opened %q for Go's cookie, want %q (signature or id rejected)", fc.SID, gc.SID)
	}
	if d := typedjson.Diff(gc.Values(t), fc.Values(t)); d != "" {
		t.Fatalf("Flask read Go's new session differently: %s", d)
	}
	if !fc.Permanent {
		t.Errorf("Flask sees Go's permanent session as not permanent")
	}

	// 4. Flash messages both ways (Flask stores them as tuples).
	if got := x.Do(t, "GET", x.Flask+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"info", "welcome"} {
		t.Errorf("Flask consumed flashes %v, want [[info welcome]]", got)
	}
	x.Do(t, "POST", x.Flask+"/flash?msg=saved&cat=success", gc.Cookie, nil)
	if got := x.Do(t, "GET", x.Go+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"success", "saved"} {
		t.Errorf("Go consumed flashes %v, want [[success saved]]", got)
	}
	if _, ok := x.Do(t, "GET", x.Flask+"/dump", gc.Cookie, nil).Values(t)["_flashes"]; ok {
		t.Errorf("Flask still has _flashes after Go consumed them")
	}

	// 5. A tampered or foreign cookie is not accepted by Go.
	if x.Signed {
		sid, _, _ := strings.Cut(cookie, ".")
		bad := x.Do(t, "GET", x.Go+"/dump", sid+".AAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
		if bad.SID == fw.SID || len(bad.Values(t)) != 0 {
			t.Errorf("Go accepted a bad signature: %+v", bad)
		}
	} else {
		unknown := x.Do(t, "GET", x.Go+"/dump", "doesnotexist_abcdefghijklmnopqrstuvwxyz012", nil)
		if unknown.SID == "doesnotexist_abcdefghijklmnopqrstuvwxyz012" || len(unknown.Values(t)) != 0 {
			t.Errorf("Go adopted an unknown id: %+v", unknown)
		}
	}

	// 6. Go clears the session: the entry is deleted, the cookie too.
	cl := x.Do(t, "POST", x.Go+"/clear", gc.Cookie, nil)
	if !cl.SetCookie || cl.Cookie != "" {
		t.Errorf("Go sent no deletion cookie on clear")
	}
	if _, ok := x.raw(t, x.Prefix+gc.SID); ok {
		t.Errorf("store entry survived Go's clear")
	}
	// Legacy Flask-Session reuses the stale id but finds no data.
	if v := x.Do(t, "GET", x.Flask+"/dump", gc.Cookie, nil).Values(t); v["created_by"] != nil {
		t.Errorf("Flask still sees cleared data: %v", v)
	}
}

// Field returns the typed value of key in a typed dict.
func Field(t *testing.T, typed any, key string) any {
	t.Helper()
	for _, p := range typed.(map[string]any)["$dict"].([]any) {
		if pair := p.([]any); pair[0] == key {
			return pair[1]
		}
	}
	t.Fatalf("key %q missing from %v", key, typed)
	return nil
}

// stored returns the pickle stored for sid, failing if there is none.
func (x *Pair) stored(t *testing.T, sid string) []byte {
	t.Helper()
	b, ok := x.raw(t, x.Prefix+sid)
	if !ok {
		t.Fatalf("no store entry for %s%s", x.Prefix, sid)
	}
	return b
}

// goPickle reports the protocol 2 pickle flasksession.Pickle writes.
func goPickle(p []byte) bool { return len(p) > 2 && p[0] == 0x80 && p[1] == 2 }

// flaskPickle reports a pickle Python wrote (protocol 0 for memcached in
// Flask-Session 0.3.2, 4 or 5 elsewhere) that decodes to a session.
func flaskPickle(p []byte) bool {
	_, err := flasksession.Pickle{}.Unmarshal(p)
	return err == nil && !goPickle(p)
}
