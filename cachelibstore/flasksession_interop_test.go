package cachelibstore_test

// Live interop with Debian's Flask-Session 0.3.2, SESSION_TYPE="filesystem"
// (cachelib 0.9's FileSystemCache): internal/fsinterop's peer runs the
// Flask side, a session.Manager on cachelibstore with flasksession.Pickle
// the Go side, both on one directory, key prefix and secret. Needs
// /usr/bin/python3 with python3-flask-session and python3-cachelib.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/internal/fsinterop"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/typedjson"
)

// fsPython is Debian's interpreter: the python3 on PATH may lack Flask.
const fsPython = "/usr/bin/python3"

func needFlaskSession(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(fsPython, "-c", "import flask, flask_session, cachelib.file, markupsafe").CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot import flask, flask_session and cachelib (apt-get install python3-flask-session python3-cachelib): %v %s",
			fsPython, err, bytes.TrimSpace(out))
	}
}

// TestFlaskSessionInterop shares sessions between Flask-Session 0.3.2 and
// Go through one cache directory: signed and unsigned ids, prefix
// "session:" and none.
func TestFlaskSessionInterop(t *testing.T) {
	needFlaskSession(t)
	for _, signed := range []bool{false, true} {
		for _, prefix := range []string{"session:", ""} {
			name := "unsigned"
			if signed {
				name = "signed"
			}
			name += "/prefix=" + strconv.Quote(prefix)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				newInterop(t, prefix, signed).run(t)
			})
		}
	}
}

type interop struct {
	dir    string
	store  *cachelibstore.Store
	prefix string
	signed bool
	flask  string // base URL of the Flask peer
	goURL  string // base URL of the Go app
	client *http.Client
}

func newInterop(t *testing.T, prefix string, signed bool) *interop {
	b := make([]byte, 8)
	rand.Read(b)
	x := &interop{
		dir:    filepath.Join(t.TempDir(), "flask_session"),
		prefix: prefix,
		signed: signed,
		client: &http.Client{Timeout: 30 * time.Second},
	}
	secret := "cachelib interop secret " + hex.EncodeToString(b) + hex.EncodeToString(b)
	o := fsinterop.Options{Signed: signed, Prefix: prefix}
	x.flask = fsinterop.StartFlask(t, secret, o, "--type", "filesystem", "--dir", x.dir)

	st, err := cachelibstore.New(x.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x.store = st
	x.goURL = fsinterop.StartGo(t, st, secret, o)
	return x
}

// file reads the cache file of session id sid: its header, read as
// little-endian (the machines CI runs on), and its pickle.
func (x *interop) file(t *testing.T, sid string) (expires time.Time, pickle []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(x.dir, cachelibstore.FileName(x.prefix+sid)))
	if err != nil {
		t.Fatalf("cache file of the session: %v", err)
	}
	if len(b) < 6 {
		t.Fatalf("cache file of %d bytes", len(b))
	}
	return time.Unix(int64(binary.LittleEndian.Uint32(b)), 0), b[4:]
}

func (x *interop) exists(sid string) bool {
	_, err := os.Stat(filepath.Join(x.dir, cachelibstore.FileName(x.prefix+sid)))
	return err == nil
}

// checkExpiry checks a header written now for a 31-day lifetime (Flask's
// PERMANENT_SESSION_LIFETIME default, which both sides use).
func checkExpiry(t *testing.T, who string, exp time.Time) {
	t.Helper()
	want := time.Now().Add(31 * 24 * time.Hour)
	if d := exp.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("%s wrote expiry header %v; want about %v (a little-endian header of now + 31 days)", who, exp, want)
	}
}

func sidOf(cookie string, signed bool) string {
	if i := strings.LastIndexByte(cookie, '.'); signed && i >= 0 {
		return cookie[:i]
	}
	return cookie
}

func (x *interop) run(t *testing.T) {
	// 1. Flask writes every kind of value; Go reads them with Flask's cookie.
	flaskValues := map[string]any{"$dict": []any{
		[]any{"user_id", 42},
		[]any{"username", "h\u00e9llo \u2603 \U0001F600 \u65e5\u672c"},
		[]any{"huge", json.Number("1180591620717411303424")},
		[]any{"neg", -129},
		[]any{"pi", map[string]any{"$float": "3.14159"}},
		[]any{"none", nil},
		[]any{"yes", true},
		[]any{"no", false},
		[]any{"list", []any{1, "two", map[string]any{"$float": "3.0"}}},
		[]any{"nested", map[string]any{"$dict": []any{[]any{"a", []any{1, 2, map[string]any{"$dict": []any{[]any{"b", nil}}}}}}}},
		[]any{"blob", map[string]any{"$bytes": "AAH+/2Jpbg=="}},
		[]any{"pair", map[string]any{"$tuple": []any{1, "a"}}},
	}}
	fw := fsinterop.Do(t, x.client, "POST", x.flask+"/set", "", flaskValues)
	if !fw.SetCookie || fw.SID == "" {
		t.Fatalf("Flask set no session cookie: %+v", fw)
	}
	if x.signed != strings.Contains(fw.Cookie, ".") {
		t.Fatalf("Flask cookie %q: signed=%v", fw.Cookie, x.signed)
	}
	cookie := fw.Cookie
	exp, p := x.file(t, fw.SID)
	checkExpiry(t, "Flask", exp)
	if p[0] != 0x80 || p[1] != 5 {
		t.Fatalf("Flask's cache file holds %x...; want a protocol 5 pickle", p[:2])
	}
	want := fw.Values(t)
	g := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", cookie, nil)
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
		[]any{"username", "bob \u00fc\u00df"},
		[]any{"cart", []any{1, 2, map[string]any{"$tuple": []any{"sku", 3}}}},
		[]any{"go_big", json.Number("-99999999999999999999999")},
		[]any{"go_float", map[string]any{"$float": "-0.5"}},
		[]any{"go_dict", map[string]any{"$dict": []any{[]any{"k", true}, []any{"z", nil}}}},
	}}
	gw := fsinterop.Do(t, x.client, "POST", x.goURL+"/set", cookie, goChange)
	if gw.SID != fw.SID {
		t.Fatalf("Go moved the session to %q", gw.SID)
	}
	exp, p = x.file(t, fw.SID)
	checkExpiry(t, "Go", exp)
	if p[0] != 0x80 || p[1] != 2 {
		t.Fatalf("Go's cache file holds %x...; want its protocol 2 pickle", p[:2])
	}
	if gw.SetCookie && gw.Cookie != cookie {
		t.Fatalf("Go re-issued cookie %q, want %q", gw.Cookie, cookie)
	}
	fr := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", cookie, nil)
	if fr.SID != fw.SID {
		t.Fatalf("Flask opened %q, want %q", fr.SID, fw.SID)
	}
	if d := typedjson.Diff(gw.Values(t), fr.Values(t)); d != "" {
		t.Fatalf("Flask read Go's session differently: %s", d)
	}
	// 0.3.2 rewrote the file on that request (protocol 5 again); Go still
	// reads the same session.
	if _, p := x.file(t, fw.SID); p[1] != 5 {
		t.Errorf("Flask did not rewrite the file (protocol %d)", p[1])
	}
	if d := typedjson.Diff(gw.Values(t), fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", cookie, nil).Values(t)); d != "" {
		t.Errorf("Go after Flask's rewrite: %s", d)
	}

	// 3. Go creates a session with a flash; Flask reads it with Go's cookie.
	gc := fsinterop.Do(t, x.client, "POST", x.goURL+"/set?permanent=1", "", map[string]any{"$dict": []any{
		[]any{"created_by", "go \u2713"},
		[]any{"n", 7},
		[]any{"big", json.Number("340282366920938463463374607431768211457")},
		[]any{"_flashes", []any{map[string]any{"$tuple": []any{"info", "welcome"}}}},
	}})
	gc.SID = sidOf(gc.Cookie, x.signed) // a new session gets its id when committed
	if !gc.SetCookie || len(gc.SID) != 43 || gc.SID == fw.SID {
		t.Fatalf("Go created no new session: %+v", gc)
	}
	if x.signed != strings.Contains(gc.Cookie, ".") {
		t.Fatalf("Go cookie %q: signed=%v", gc.Cookie, x.signed)
	}
	fc := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil)
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
	if got := fsinterop.Do(t, x.client, "GET", x.flask+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"info", "welcome"} {
		t.Errorf("Flask consumed flashes %v, want [[info welcome]]", got)
	}
	fsinterop.Do(t, x.client, "POST", x.flask+"/flash?msg=saved+%E2%9C%93&cat=success", gc.Cookie, nil)
	if got := fsinterop.Do(t, x.client, "GET", x.goURL+"/flashes", gc.Cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"success", "saved \u2713"} {
		t.Errorf("Go consumed flashes %v, want [[success saved ✓]]", got)
	}
	if _, ok := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil).Values(t)["_flashes"]; ok {
		t.Errorf("Flask still has _flashes after Go consumed them")
	}

	// 5. A tampered or unknown cookie is not accepted by Go.
	if x.signed {
		sid, _, _ := strings.Cut(cookie, ".")
		bad := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", sid+".AAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
		if bad.SID == fw.SID || len(bad.Values(t)) != 0 {
			t.Errorf("Go accepted a bad signature: %+v", bad)
		}
	} else {
		unknown := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", "doesnotexist_abcdefghijklmnopqrstuvwxyz012", nil)
		if unknown.SID == "doesnotexist_abcdefghijklmnopqrstuvwxyz012" || len(unknown.Values(t)) != 0 {
			t.Errorf("Go adopted an unknown id: %+v", unknown)
		}
	}

	// 6. Go clears its session: the file goes, Flask finds no data.
	cl := fsinterop.Do(t, x.client, "POST", x.goURL+"/clear", gc.Cookie, nil)
	if !cl.SetCookie || cl.Cookie != "" {
		t.Errorf("Go sent no deletion cookie on clear")
	}
	if x.exists(gc.SID) {
		t.Errorf("cache file survived Go's clear")
	}
	if v := fsinterop.Do(t, x.client, "GET", x.flask+"/dump", gc.Cookie, nil).Values(t); v["created_by"] != nil {
		t.Errorf("Flask still sees cleared data: %v", v)
	}

	// 7. Flask clears the first session: Go finds no data.
	fsinterop.Do(t, x.client, "POST", x.flask+"/clear", cookie, nil)
	if x.exists(fw.SID) {
		t.Errorf("cache file survived Flask's clear")
	}
	if v := fsinterop.Do(t, x.client, "GET", x.goURL+"/dump", cookie, nil); v.SID == fw.SID || len(v.Values(t)) != 0 {
		t.Errorf("Go still sees the session Flask cleared: %+v", v)
	}

	// 8. Both sides kept cachelib's counter: it equals the files left.
	x.checkCount(t)
}

// checkCount compares cachelib's counter, as cachelib itself reads it, with
// the cache files in the directory.
func (x *interop) checkCount(t *testing.T) {
	t.Helper()
	files, err := x.store.ListFiles(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(fsPython, "-c", `import sys
from cachelib.file import FileSystemCache
c = FileSystemCache.__new__(FileSystemCache)
c._path, c._threshold, c._hash_method = sys.argv[1], 500, __import__("hashlib").md5
print(c._file_count)`, x.dir).CombinedOutput()
	if err != nil {
		t.Fatalf("reading the counter with cachelib: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(len(files)) {
		t.Errorf("cachelib's counter = %s; the directory holds %d cache files", got, len(files))
	}
}
