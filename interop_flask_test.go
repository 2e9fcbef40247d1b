package session_test

// Live interoperability tests against a real Flask application
// (testdata/flaskpeer/peer.py, Debian's Flask 2.2.2 / itsdangerous 2.1.2):
// cookies cross between Go and Flask over real HTTP in both directions.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/signer"
	"github.com/flaskgo/session/taggedjson"
)

// flaskPython is Debian's interpreter, which has Flask 2.2 installed. The
// python3 first on PATH may be another interpreter without Flask.
const flaskPython = "/usr/bin/python3"

// Keys of the live tests: A is the "old" key, B the one rotated to.
const (
	flaskKeyA = "interop-key-A"
	flaskKeyB = "interop-key-B"
)

// requireFlask skips the test when Flask is unavailable, loudly, and fails
// it under CI=true, where a missing Flask is a broken setup.
func requireFlask(t *testing.T) {
	t.Helper()
	out, err := exec.Command(flaskPython, "-c", "import flask").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("LIVE FLASK INTEROP NOT RUN: %s cannot import flask (apt-get install python3-flask): %v %s", flaskPython, err, out)
	testenv.Unavailable(t, "%s", msg)
}

// flaskPeer is one running peer.py process.
type flaskPeer struct {
	name   string
	url    string
	client *http.Client
}

// startFlaskPeers starts one peer per key configuration in parallel (each
// takes a moment to import Flask) and stops them when the test ends.
// A configuration is the secret key followed by its fallback keys.
func startFlaskPeers(t *testing.T, configs ...[]string) []*flaskPeer {
	t.Helper()
	peers := make([]*flaskPeer, len(configs))
	errs := make([]error, len(configs))
	var wg sync.WaitGroup
	for i, keys := range configs {
		wg.Add(1)
		go func(i int, keys []string) {
			defer wg.Done()
			peers[i], errs[i] = startFlaskPeer(t, keys[0], keys[1:]...)
		}(i, keys)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return peers
}

func startFlaskPeer(t *testing.T, secret string, fallbacks ...string) (*flaskPeer, error) {
	args := []string{"testdata/flaskpeer/peer.py", "--secret", secret}
	for _, f := range fallbacks {
		args = append(args, "--fallback", f)
	}
	url, err := testenv.TryStartPeer(t, flaskPython, args...)
	if err != nil {
		return nil, err
	}
	return &flaskPeer{
		name:   fmt.Sprintf("Flask(secret=%s, fallbacks=%v)", secret, fallbacks),
		url:    url,
		client: &http.Client{Timeout: 60 * time.Second},
	}, nil
}

// flaskReply is what a peer answered.
type flaskReply struct {
	Status    int
	SetCookie []string        // raw Set-Cookie header values
	Session   map[string]any  // the session as Flask saw it at the end of the view
	Permanent bool            // session.permanent
	Flashes   [][2]string     // /flashes only
	Raw       json.RawMessage // the whole body, for batch endpoints
}

// cookieValue returns the value of the session cookie Flask set and whether
// it set one (a deletion cookie has the value "").
func (r *flaskReply) cookieValue() (string, bool) {
	for _, h := range r.SetCookie {
		if v, ok := strings.CutPrefix(h, "session="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v, true
		}
	}
	return "", false
}

// call sends one request to the peer. cookie is the session cookie value
// ("" for none); body, when not nil, is sent as JSON; now, when not zero,
// freezes Flask's signing clock (X-Peer-Now).
func (p *flaskPeer) call(t *testing.T, method, path, cookie string, body any, now int64) *flaskReply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	if now != 0 {
		req.Header.Set("X-Peer-Now", strconv.FormatInt(now, 10))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s %s: %v", p.name, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s %s: status %d: %s", p.name, method, path, resp.StatusCode, raw)
	}
	r := &flaskReply{Status: resp.StatusCode, SetCookie: resp.Header.Values("Set-Cookie"), Raw: raw}
	var parsed struct {
		Session   any         `json:"session"`
		Permanent bool        `json:"permanent"`
		Flashes   [][2]string `json:"flashes"`
	}
	if err := interopJSON(raw, &parsed); err != nil {
		t.Fatalf("%s %s: bad reply %s: %v", p.name, path, raw, err)
	}
	if parsed.Session != nil {
		r.Session = interopFromTyped(t, parsed.Session)
	}
	r.Permanent, r.Flashes = parsed.Permanent, parsed.Flashes
	return r
}

func interopJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func interopFromTyped(t *testing.T, typed any) map[string]any {
	t.Helper()
	v, err := typedjson.ToGo(typed)
	if err != nil {
		t.Fatalf("typed value from Flask: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("typed session from Flask is a %T", v)
	}
	return m
}

// interopToTyped is the body of /set and /replace.
func interopToTyped(m map[string]any) any {
	return typedjson.FromGo(m)
}

// interopGo runs one request through a Manager, as the Flask peer does for its
// side: the incoming cookie value ("" for none) and a view.
type interopGo struct {
	t *testing.T
	m *session.Manager
}

func newInteropGo(t *testing.T, cfg session.Config) *interopGo {
	t.Helper()
	cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		t.Errorf("Go commit failed: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
	}
	cfg.OnInvalidCookie = func(r *http.Request, err error) {
		t.Logf("Go rejected the incoming cookie: %v", err)
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &interopGo{t: t, m: m}
}

// interopGoReply is what the Go side answered.
type interopGoReply struct {
	SetCookie []string
}

func (r *interopGoReply) cookieValue() (string, bool) {
	return (&flaskReply{SetCookie: r.SetCookie}).cookieValue()
}

func (g *interopGo) do(cookie string, view func(s *session.Session)) *interopGoReply {
	g.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	rec := httptest.NewRecorder()
	g.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		view(session.From(r))
	})).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		g.t.Fatalf("Go side: status %d: %s", rec.Code, rec.Body)
	}
	return &interopGoReply{SetCookie: rec.Result().Header.Values("Set-Cookie")}
}

// issue makes a cookie holding values (and nothing else).
func (g *interopGo) issue(values map[string]any) string {
	g.t.Helper()
	r := g.do("", func(s *session.Session) {
		for k, v := range values {
			s.Set(k, v)
		}
	})
	c, ok := r.cookieValue()
	if !ok || c == "" {
		g.t.Fatalf("Go issued no cookie for %v (Set-Cookie %q)", values, r.SetCookie)
	}
	return c
}

// read returns every value of the session in cookie.
func (g *interopGo) read(cookie string) map[string]any {
	g.t.Helper()
	out := map[string]any{}
	g.do(cookie, func(s *session.Session) {
		for _, k := range s.Keys() {
			out[k], _ = s.Get(k)
		}
	})
	return out
}

func requireSameSession(t *testing.T, what string, want, got map[string]any) {
	t.Helper()
	if d := typedjson.Diff(want, got); d != "" {
		t.Fatalf("%s: want != got at %s", what, d)
	}
}

const flaskDeletionCookie = "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"

// interopEveryType is a session with a value of every type Flask's serializer
// knows, and the edge cases of each.
func interopEveryType() map[string]any {
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	return map[string]any{
		"str_ascii":   "hello, world",
		"str_escapes": "quote\" back\\ slash/ \b\f\n\r\t \x00\x1f\x7f <>&'",
		"str_bmp":     "héllo wörld ñ 日本語 \u2028\u2029 \ufeff \uffff",
		"str_astral":  "👍 𝄞 😀 \U0010ffff",
		"str_empty":   "",
		"int_zero":    int64(0),
		"int_neg":     int64(-42),
		"int_2p53":    int64(1 << 53),
		"int_max":     int64(math.MaxInt64),
		"int_min":     int64(math.MinInt64),
		"int_2p64":    new(big.Int).Lsh(big.NewInt(1), 64),
		"int_huge":    huge,
		"int_negbig":  new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 100)),
		"float_one":   1.0,
		"float_frac":  0.1,
		"float_nan":   math.NaN(),
		"float_inf":   math.Inf(1),
		"float_ninf":  math.Inf(-1),
		"float_negz":  math.Copysign(0, -1),
		"float_1e16":  1e16,
		"float_tiny":  5e-324,
		"float_big":   1.2345678901234568e+17,
		"float_small": 1e-05,
		"bool_true":   true,
		"bool_false":  false,
		"none":        nil,
		"nested": map[string]any{
			"list":  []any{int64(1), "two", 3.0, []any{}, map[string]any{}},
			"deep":  map[string]any{"a": map[string]any{"b": []any{nil, true}}},
			"é🙂":    "non-ASCII key",
			"empty": map[string]any{},
		},
		"tuple":       taggedjson.Tuple{int64(1), "two", taggedjson.Tuple{}, []any{taggedjson.Tuple{"x"}}},
		"tuple_empty": taggedjson.Tuple{},
		"bytes":       []byte{0, 1, 0xfb, 0xff, ' ', 'b', 'i', 'n'},
		"bytes_empty": []byte{},
		"uuid":        taggedjson.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78},
		"datetime":    time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC),
		"datetime_y9": time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		"markup":      taggedjson.Markup("<b>bold</b> &amp; more"),
		// Single-key dicts whose key is a tag key must be escaped (" di").
		"collide_t":  map[string]any{" t": "x"},
		"collide_di": map[string]any{" di": []any{int64(1), int64(2)}},
		"collide_b":  map[string]any{" b": map[string]any{" u": "not a uuid"}},
		"tag_like_2": map[string]any{" t": "x", " b": "y"},
		" t":         "a top-level key that looks like a tag",
		"$tuple":     "a key that looks like a typed marker",
		"dollar":     map[string]any{"$int": "not an int"},
	}
}

// TestFlaskInterop runs the live scenarios against real Flask.
func TestFlaskInterop(t *testing.T) {
	requireFlask(t)
	peers := startFlaskPeers(t,
		[]string{flaskKeyA},            // an app that has only ever known A
		[]string{flaskKeyB, flaskKeyA}, // the same app after rotating to B
		[]string{flaskKeyB},            // B without the fallback
	)
	flaskA, flaskBA, flaskB := peers[0], peers[1], peers[2]
	goA := newInteropGo(t, session.Config{SecretKey: flaskKeyA, SameSite: http.SameSiteDefaultMode})

	t.Run("GoWritesEveryType", func(t *testing.T) {
		want := interopEveryType()
		cookie := goA.issue(want)
		got := flaskA.call(t, "GET", "/dump", cookie, nil, 0)
		requireSameSession(t, "Flask read Go's cookie", want, got.Session)
		if got.Permanent {
			t.Error("Flask sees a permanent session; Go did not make it permanent")
		}
		if _, set := got.cookieValue(); set {
			t.Errorf("Flask re-issued an unmodified, non-permanent session: %q", got.SetCookie)
		}
	})

	t.Run("GoWritesTopLevelTagKey", func(t *testing.T) {
		// The whole session is a single-key dict whose key is a tag key.
		for _, k := range []string{" t", " di", " b", " m", " u", " d"} {
			want := map[string]any{k: "not a tag"}
			got := flaskA.call(t, "GET", "/dump", goA.issue(want), nil, 0)
			requireSameSession(t, "Flask read Go's cookie", want, got.Session)
		}
	})

	t.Run("FlaskWritesGoChangesFlaskReads", func(t *testing.T) {
		want := interopEveryType()
		set := flaskA.call(t, "POST", "/set", "", interopToTyped(want), 0)
		cookie, ok := set.cookieValue()
		if !ok || cookie == "" {
			t.Fatalf("Flask set no cookie: %q", set.SetCookie)
		}
		requireSameSession(t, "Go read Flask's cookie", want, goA.read(cookie))

		r := goA.do(cookie, func(s *session.Session) {
			n, err := session.Get[int](s, "int_neg")
			if err != nil {
				t.Error(err)
			}
			s.Set("int_neg", n+1)
			s.Delete("str_ascii")
			s.Set("added_by_go", taggedjson.Tuple{"go", []byte("x")})
		})
		changed, ok := r.cookieValue()
		if !ok || changed == "" {
			t.Fatalf("Go did not re-issue the changed session: %q", r.SetCookie)
		}
		want["int_neg"] = int64(-41)
		delete(want, "str_ascii")
		want["added_by_go"] = taggedjson.Tuple{"go", []byte("x")}
		requireSameSession(t, "Flask read Go's change", want, flaskA.call(t, "GET", "/dump", changed, nil, 0).Session)
	})

	t.Run("FlashGoToFlask", func(t *testing.T) {
		cookie := goA.do("", func(s *session.Session) {
			s.Flash("Welcome back!", "")
			s.Flash("Disk almost full", "warning")
		})
		value, _ := cookie.cookieValue()
		got := flaskA.call(t, "GET", "/flashes", value, nil, 0)
		want := [][2]string{{"message", "Welcome back!"}, {"warning", "Disk almost full"}}
		if fmt.Sprint(got.Flashes) != fmt.Sprint(want) {
			t.Fatalf("Flask's get_flashed_messages = %q, want %q", got.Flashes, want)
		}
		// The session is empty now, so Flask deletes the cookie.
		if len(got.SetCookie) != 1 || got.SetCookie[0] != flaskDeletionCookie {
			t.Fatalf("Flask's Set-Cookie after consuming the only flashes = %q, want the deletion cookie", got.SetCookie)
		}

		// With another key present, Flask re-issues the session without them.
		withUser := goA.do("", func(s *session.Session) {
			s.Set("_user_id", "42")
			s.Flash("Saved", "info")
		})
		value, _ = withUser.cookieValue()
		got = flaskA.call(t, "GET", "/flashes", value, nil, 0)
		if fmt.Sprint(got.Flashes) != fmt.Sprint([][2]string{{"info", "Saved"}}) {
			t.Fatalf("Flask's get_flashed_messages = %q", got.Flashes)
		}
		rest, ok := got.cookieValue()
		if !ok || rest == "" {
			t.Fatalf("Flask did not re-issue the session: %q", got.SetCookie)
		}
		requireSameSession(t, "Go read the session after Flask consumed the flashes", map[string]any{"_user_id": "42"}, goA.read(rest))
	})

	t.Run("FlashFlaskToGo", func(t *testing.T) {
		r1 := flaskA.call(t, "POST", "/flash?msg=Welcome+back%21", "", nil, 0)
		c1, _ := r1.cookieValue()
		r2 := flaskA.call(t, "POST", "/flash?msg=D%C3%A9j%C3%A0+vu+%F0%9F%91%8D&cat=warning", c1, nil, 0)
		c2, _ := r2.cookieValue()

		var got []session.Flash
		r := goA.do(c2, func(s *session.Session) { got = s.Flashes() })
		want := []session.Flash{{Category: "message", Message: "Welcome back!"}, {Category: "warning", Message: "Déjà vu 👍"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Go's Flashes() = %q, want %q", got, want)
		}
		if len(r.SetCookie) != 1 || r.SetCookie[0] != flaskDeletionCookie {
			t.Fatalf("Go's Set-Cookie after consuming the only flashes = %q, want Flask's deletion cookie %q", r.SetCookie, flaskDeletionCookie)
		}

		// With another key present, Go re-issues the session without them,
		// and Flask finds no flashes left.
		r3 := flaskA.call(t, "POST", "/set", c2, map[string]any{"_user_id": "7"}, 0)
		c3, _ := r3.cookieValue()
		r = goA.do(c3, func(s *session.Session) {
			if n := len(s.Flashes("warning")); n != 1 {
				t.Errorf("Flashes(\"warning\") returned %d messages, want 1", n)
			}
		})
		c4, ok := r.cookieValue()
		if !ok || c4 == "" {
			t.Fatalf("Go did not re-issue the session: %q", r.SetCookie)
		}
		left := flaskA.call(t, "GET", "/flashes", c4, nil, 0)
		if len(left.Flashes) != 0 {
			t.Fatalf("Flask still sees flashes %q after Go consumed them", left.Flashes)
		}
		requireSameSession(t, "Flask read the session after Go consumed the flashes", map[string]any{"_user_id": "7"}, left.Session)
	})

	t.Run("PermanentGoToFlask", func(t *testing.T) {
		r := goA.do("", func(s *session.Session) {
			s.SetPermanent(true)
			s.Set("_user_id", "42")
		})
		value, _ := r.cookieValue()
		if !strings.Contains(r.SetCookie[0], "; Expires=") {
			t.Errorf("Go's permanent cookie has no Expires: %q", r.SetCookie[0])
		}
		got := flaskA.call(t, "GET", "/dump", value, nil, 0)
		if !got.Permanent {
			t.Fatal("Flask does not see the session as permanent")
		}
		// Flask refreshes a permanent session on every request.
		if len(got.SetCookie) != 1 || !strings.Contains(got.SetCookie[0], "; Expires=") {
			t.Fatalf("Flask did not refresh the permanent session: %q", got.SetCookie)
		}
		requireSameSession(t, "Flask read", map[string]any{"_permanent": true, "_user_id": "42"}, got.Session)
	})

	t.Run("PermanentFlaskToGo", func(t *testing.T) {
		r := flaskA.call(t, "POST", "/permanent?value=true", "", nil, 0)
		value, _ := r.cookieValue()
		if len(r.SetCookie) != 1 || !strings.Contains(r.SetCookie[0], "; Expires=") {
			t.Fatalf("Flask's permanent cookie: %q", r.SetCookie)
		}
		var permanent bool
		g := goA.do(value, func(s *session.Session) { permanent = s.Permanent() })
		if !permanent {
			t.Fatal("Go does not see Flask's permanent session as permanent")
		}
		// Like Flask, Go refreshes a permanent session it loaded.
		if len(g.SetCookie) != 1 || !strings.Contains(g.SetCookie[0], "; Expires=") {
			t.Fatalf("Go did not refresh the permanent session: %q", g.SetCookie)
		}
		// And back: Flask makes it non-permanent, Go agrees.
		r = flaskA.call(t, "POST", "/permanent?value=false", value, nil, 0)
		value, _ = r.cookieValue()
		goA.do(value, func(s *session.Session) { permanent = s.Permanent() })
		if permanent {
			t.Fatal("Go sees a session Flask made non-permanent as permanent")
		}
	})

	t.Run("KeyRotation", func(t *testing.T) {
		want := map[string]any{"_user_id": "42", "cart": map[string]any{"sku-1": int64(2)}}
		r := flaskA.call(t, "POST", "/set", "", interopToTyped(want), 0)
		underA, _ := r.cookieValue()

		goB := newInteropGo(t, session.Config{SecretKey: flaskKeyB, FallbackKeys: []string{flaskKeyA}})
		var info session.Info
		var got map[string]any
		g := goB.do(underA, func(s *session.Session) {
			info = s.Info()
			got = map[string]any{}
			for _, k := range s.Keys() {
				got[k], _ = s.Get(k)
			}
		})
		requireSameSession(t, "Go (B, fallback A) read Flask's cookie signed with A", want, got)
		if info.New || info.KeyIndex != 1 {
			t.Fatalf("Info() = %+v, want a cookie verified by fallback key 1", info)
		}
		underB, ok := g.cookieValue()
		if !ok || underB == "" || underB == underA {
			t.Fatalf("Go did not re-issue the session under B: %q", g.SetCookie)
		}

		requireSameSession(t, "Flask(B, fallback A) read Go's re-issued cookie", want, flaskBA.call(t, "GET", "/dump", underB, nil, 0).Session)
		requireSameSession(t, "Flask(B) read Go's re-issued cookie", want, flaskB.call(t, "GET", "/dump", underB, nil, 0).Session)
		if s := flaskA.call(t, "GET", "/dump", underB, nil, 0).Session; len(s) != 0 {
			t.Fatalf("Flask with only key A accepted a cookie signed with B: %v", s)
		}
		// And Flask(B, fallback A) still reads the old cookie, as Go did.
		requireSameSession(t, "Flask(B, fallback A) read the cookie signed with A", want, flaskBA.call(t, "GET", "/dump", underA, nil, 0).Session)
		// The rotated Flask signs new cookies with B (Flask >= 3.1.1; 3.1.0
		// signed with the last fallback): Flask and Go with only B read them.
		w := flaskBA.call(t, "POST", "/set", "", map[string]any{"k": "v"}, 0)
		newer, _ := w.cookieValue()
		requireSameSession(t, "Flask(B) read Flask(B, fallback A)'s new cookie", map[string]any{"k": "v"}, flaskB.call(t, "GET", "/dump", newer, nil, 0).Session)
		goBOnly := newInteropGo(t, session.Config{SecretKey: flaskKeyB})
		requireSameSession(t, "Go(B) read Flask(B, fallback A)'s new cookie", map[string]any{"k": "v"}, goBOnly.read(newer))
		// Go under A alone rejects B's cookie, as Flask does.
		if s := goA.read(underB); len(s) != 0 {
			t.Fatalf("Go with only key A accepted a cookie signed with B: %v", s)
		}
	})

	t.Run("SameBytesAsFlask", func(t *testing.T) {
		// Go and Flask sign the same sessions at the same second; where
		// neither compresses, the Set-Cookie headers must be identical, and
		// the JSON payloads always are.
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		// MinCompressSize -1 applies Flask's compression rule at every size,
		// so both sides leave the same sessions uncompressed.
		goAt := newInteropGo(t, session.Config{SecretKey: flaskKeyA, SameSite: http.SameSiteDefaultMode, MinCompressSize: -1, Now: func() time.Time { return at }})
		rng := rand.New(rand.NewPCG(1, 2))
		sessions := []map[string]any{
			interopEveryType(),
			{"user_id": int64(42)},
			{"_permanent": true, "_user_id": "42", "theme": "dark"},
			{"_flashes": []any{taggedjson.Tuple{"message", "hi"}}},
			{" t": "x"},
		}
		for len(sessions) < 60 {
			sessions = append(sessions, interopRandomSession(rng))
		}
		identical := 0
		for i, want := range sessions {
			fr := flaskA.call(t, "POST", "/replace", "", interopToTyped(want), at.Unix())
			gr := goAt.do("", func(s *session.Session) {
				for k, v := range want {
					s.Set(k, v)
				}
			})
			fc, _ := fr.cookieValue()
			gc, _ := gr.cookieValue()
			requireSameFlaskPayload(t, fmt.Sprintf("session %d", i), fc, gc)
			if fc[0] == '.' || gc[0] == '.' {
				continue // Go's deflate is not C zlib's
			}
			if len(fr.SetCookie) != 1 || len(gr.SetCookie) != 1 || fr.SetCookie[0] != gr.SetCookie[0] {
				t.Fatalf("session %d: Set-Cookie differs\nFlask %q\nGo    %q", i, fr.SetCookie, gr.SetCookie)
			}
			identical++
		}
		t.Logf("%d of %d sessions gave byte-identical Set-Cookie headers (in the rest, a side compressed)", identical, len(sessions))
		if identical < 10 {
			t.Fatalf("only %d uncompressed sessions compared; the test lost its teeth", identical)
		}
	})

	t.Run("RandomGoToFlaskToGo", func(t *testing.T) {
		const n = 500
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		// Half the cookies use the default MinCompressSize (small sessions
		// uncompressed), half Flask's rule, so Flask reads both kinds.
		goSides := []*interopGo{
			newInteropGo(t, session.Config{SecretKey: flaskKeyA, Now: func() time.Time { return at }}),
			newInteropGo(t, session.Config{SecretKey: flaskKeyA, MinCompressSize: -1, Now: func() time.Time { return at }}),
		}
		goAt := goSides[0]
		rng := rand.New(rand.NewPCG(20240229, 1))
		sessions := make([]map[string]any, n)
		cookies := make([]string, n)
		compressed := 0
		for i := range sessions {
			sessions[i] = interopRandomSession(rng)
			cookies[i] = goSides[i%2].issue(sessions[i])
			if cookies[i][0] == '.' {
				compressed++
			}
		}
		if compressed < n/10 || compressed > n-n/10 {
			t.Fatalf("%d of %d Go cookies compressed; the mix no longer tests both kinds", compressed, n)
		}
		results := flaskRoundtrip(t, flaskA, cookies, at.Unix())
		identical := 0
		for i, res := range results {
			if !res.OK {
				t.Fatalf("session %d: Flask rejected Go's cookie %q: %s", i, cookies[i], res.Error)
			}
			what := fmt.Sprintf("session %d (seed 20240229)", i)
			requireSameSession(t, what+": Flask read Go's cookie", sessions[i], interopFromTyped(t, res.Session))
			requireSameSession(t, what+": Go read Flask's re-signed cookie", sessions[i], goAt.read(res.Cookie))
			requireSameFlaskPayload(t, what, res.Cookie, cookies[i])
			if res.Cookie[0] != '.' && cookies[i][0] != '.' {
				if res.Cookie != cookies[i] {
					t.Fatalf("%s: Flask re-signed the session as %q, Go signed %q", what, res.Cookie, cookies[i])
				}
				identical++
			}
		}
		t.Logf("%d sessions round-tripped (%d Go cookies compressed); %d uncompressed cookies byte-identical", n, compressed, identical)
	})

	t.Run("RandomFlaskToGo", func(t *testing.T) {
		const n = 500
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		goAt := newInteropGo(t, session.Config{SecretKey: flaskKeyA, MinCompressSize: -1, Now: func() time.Time { return at }})
		var out struct {
			Results []struct {
				Session any    `json:"session"`
				Cookie  string `json:"cookie"`
			} `json:"results"`
		}
		r := flaskA.call(t, "POST", "/generate", "", map[string]any{"seed": 7, "count": n}, at.Unix())
		if err := interopJSON(r.Raw, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Results) != n {
			t.Fatalf("Flask generated %d sessions, want %d", len(out.Results), n)
		}
		identical := 0
		for i, res := range out.Results {
			want := interopFromTyped(t, res.Session)
			what := fmt.Sprintf("Python session %d (seed 7)", i)
			requireSameSession(t, what+": Go read Flask's cookie", want, goAt.read(res.Cookie))
			// Go signs what it read at the same second: same JSON, and the same
			// bytes when neither side compresses.
			mine := goAt.issue(want)
			requireSameFlaskPayload(t, what, res.Cookie, mine)
			if res.Cookie[0] != '.' && mine[0] != '.' {
				if res.Cookie != mine {
					t.Fatalf("%s: Flask signed %q, Go signed %q", what, res.Cookie, mine)
				}
				identical++
			}
		}
		t.Logf("%d Flask-made sessions read by Go; %d uncompressed cookies byte-identical", n, identical)
	})
}

type flaskRoundtripResult struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Session any    `json:"session"`
	Cookie  string `json:"cookie"`
}

// flaskRoundtrip has Flask decode each cookie and re-sign what it read.
func flaskRoundtrip(t *testing.T, p *flaskPeer, cookies []string, now int64) []flaskRoundtripResult {
	t.Helper()
	r := p.call(t, "POST", "/roundtrip", "", map[string]any{"cookies": cookies}, now)
	var out struct {
		Results []flaskRoundtripResult `json:"results"`
	}
	if err := interopJSON(r.Raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != len(cookies) {
		t.Fatalf("Flask returned %d results for %d cookies", len(out.Results), len(cookies))
	}
	return out.Results
}

// requireSameFlaskPayload checks that two cookies carry the same JSON text (they
// may differ in compression) and the same signing time.
func requireSameFlaskPayload(t *testing.T, what, flaskCookie, goCookie string) {
	t.Helper()
	fp, fat, err := signer.DecodeUnverified(flaskCookie)
	if err != nil {
		t.Fatalf("%s: Flask's cookie %q: %v", what, flaskCookie, err)
	}
	gp, gat, err := signer.DecodeUnverified(goCookie)
	if err != nil {
		t.Fatalf("%s: Go's cookie %q: %v", what, goCookie, err)
	}
	if !bytes.Equal(fp, gp) {
		t.Fatalf("%s: payload JSON differs\nFlask %s\nGo    %s", what, fp, gp)
	}
	if !fat.Equal(gat) {
		t.Fatalf("%s: signed at %v by Flask, %v by Go", what, fat, gat)
	}
}

// interopRandomSession makes a session of random values of every type Flask's
// serializer round-trips, in the canonical Go form a decoder produces
// (int64 unless the value needs *big.Int, UTC times in whole seconds), kept
// small enough for a cookie.
func interopRandomSession(rng *rand.Rand) map[string]any {
	for {
		m := map[string]any{}
		for i, n := 0, 1+rng.IntN(5); i < n; i++ {
			m[interopRandomString(rng, 8)] = interopRandomValue(rng, 0)
		}
		if rng.IntN(20) == 0 {
			m = map[string]any{interopTagKeys[rng.IntN(len(interopTagKeys))]: interopRandomValue(rng, 1)}
		}
		if b, err := taggedjson.Marshal(m); err == nil && len(b) < 2000 {
			return m
		}
	}
}

var interopTagKeys = []string{" di", " t", " b", " m", " u", " d"}

func interopRandomString(rng *rand.Rand, maxLen int) string {
	var b strings.Builder
	for i, n := 0, rng.IntN(maxLen+1); i < n; i++ {
		var r rune
		switch rng.IntN(10) {
		case 0:
			r = rune(rng.IntN(0x20)) // control characters
		case 1:
			r = rune(0x7f + rng.IntN(0x81)) // DEL, Latin-1
		case 2:
			r = rune(0x100 + rng.IntN(0xd800-0x100)) // BMP below the surrogates
		case 3:
			r = rune(0xe000 + rng.IntN(0x10000-0xe000)) // BMP above them
		case 4:
			r = rune(0x10000 + rng.IntN(0x110000-0x10000)) // astral
		default:
			r = rune(0x20 + rng.IntN(0x5f)) // printable ASCII, quotes and backslash included
		}
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func interopRandomValue(rng *rand.Rand, depth int) any {
	kinds := 9
	if depth < 3 {
		kinds = 14
	}
	switch rng.IntN(kinds) {
	case 0:
		return interopRandomString(rng, 12)
	case 1:
		return interopRandomInt(rng)
	case 2:
		return interopRandomFloat(rng)
	case 3:
		return rng.IntN(2) == 0
	case 4:
		return nil
	case 5:
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	case 6:
		var u taggedjson.UUID
		for i := range u {
			u[i] = byte(rng.Uint32())
		}
		return u
	case 7:
		// 1900..2200; earlier years hit Python's two-digit-year rule.
		return time.Unix(-2208988800+rng.Int64N(7258118400+2208988800), 0).UTC()
	case 8:
		return taggedjson.Markup(interopRandomString(rng, 12))
	case 9:
		l := make([]any, rng.IntN(4))
		for i := range l {
			l[i] = interopRandomValue(rng, depth+1)
		}
		return l
	case 10:
		l := make(taggedjson.Tuple, rng.IntN(4))
		for i := range l {
			l[i] = interopRandomValue(rng, depth+1)
		}
		return l
	case 11:
		// A single-key dict whose key is a tag key (or a typed marker).
		keys := append(interopTagKeys[:len(interopTagKeys):len(interopTagKeys)], "$tuple", "$x")
		return map[string]any{keys[rng.IntN(len(keys))]: interopRandomValue(rng, depth+1)}
	default:
		m := map[string]any{}
		for i, n := 0, rng.IntN(4); i < n; i++ {
			m[interopRandomString(rng, 6)] = interopRandomValue(rng, depth+1)
		}
		return m
	}
}

func interopRandomInt(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0:
		return int64(rng.IntN(2001) - 1000)
	case 1:
		return int64(rng.Uint64())
	default:
		bits := []int{64, 65, 100, 200, 1000}[rng.IntN(5)]
		buf := make([]byte, (bits+7)/8)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		n := new(big.Int).SetBytes(buf)
		if rng.IntN(2) == 0 {
			n.Neg(n)
		}
		if n.IsInt64() {
			return n.Int64() // the form a decoder gives
		}
		return n
	}
}

func interopRandomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(6) {
	case 0:
		special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e16, 5e-324, 1e-5, 0.1, 1}
		return special[rng.IntN(len(special))]
	case 1, 2:
		return math.Float64frombits(rng.Uint64()) // any bit pattern
	default:
		return (rng.Float64()*2 - 1) * 1e6
	}
}
