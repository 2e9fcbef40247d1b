package redisstore_test

// Live interop with Debian's Flask-Session 0.3.2 (SESSION_TYPE="redis",
// pickled values) through a real Redis: testdata/flasksession_peer.py runs
// the Flask side, a session.Manager on redisstore with flasksession.Pickle
// the Go side, both on one key prefix and secret. Needs /usr/bin/python3
// with python3-flask-session and python3-redis.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/typedjson"

	"github.com/flaskgo/session/internal/testenv"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/redisstore"
	"github.com/redis/go-redis/v9"
)

// fsPython is Debian's interpreter: the python3 on PATH may lack Flask.
const fsPython = "/usr/bin/python3"

func fsRedisAddr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// TestFlaskSessionInterop shares sessions between Flask-Session 0.3.2 and
// Go, with unsigned and with signed session ids (SESSION_USE_SIGNER).
func TestFlaskSessionInterop(t *testing.T) {
	if out, err := exec.Command(fsPython, "-c", "import flask, flask_session, redis, markupsafe").CombinedOutput(); err != nil {
		testenv.Unavailable(t, "%s cannot import flask, flask_session and redis (apt-get install python3-flask-session python3-redis): %v %s",
			fsPython, err, bytes.TrimSpace(out))
	}
	rdb := redis.NewClient(&redis.Options{Addr: fsRedisAddr(), DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		testenv.Unavailable(t, "Redis at %s unreachable: %v", fsRedisAddr(), err)
	}
	for _, signed := range []bool{false, true} {
		name := "unsigned ids"
		if signed {
			name = "signed ids"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			newFSInterop(t, rdb, signed).run(t)
		})
	}
}

type fsInterop struct {
	rdb    *redis.Client
	prefix string
	signed bool
	flask  string // base URL of the Flask peer
	goURL  string // base URL of the Go app
	client *http.Client
}

func newFSInterop(t *testing.T, rdb *redis.Client, signed bool) *fsInterop {
	b := make([]byte, 8)
	rand.Read(b)
	x := &fsInterop{
		rdb:    rdb,
		prefix: "fsinterop-" + hex.EncodeToString(b) + ":",
		signed: signed,
		client: &http.Client{Timeout: 30 * time.Second},
	}
	secret := "interop secret " + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, x.prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	x.flask = startFSPeer(t, x.prefix, secret, signed)

	m, err := session.New(session.Config{
		SecretKey:      secret,
		Store:          redisstore.New(rdb),
		KeyPrefix:      x.prefix,
		PlainStoreKeys: true,
		SignIDs:        signed,
		Serializer:     flasksession.Pickle{},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler(fsGoApp()))
	t.Cleanup(srv.Close)
	x.goURL = srv.URL
	return x
}

// startFSPeer runs testdata/flasksession_peer.py and waits for READY.
func startFSPeer(t *testing.T, prefix, secret string, signed bool) string {
	t.Helper()
	args := []string{"testdata/flasksession_peer.py", "--secret", secret, "--prefix", prefix, "--redis", fsRedisAddr()}
	if signed {
		args = append(args, "--signer")
	}
	return testenv.StartPeer(t, fsPython, args...)
}

// fsGoApp mirrors the peer's endpoints on a Go session.
func fsGoApp() http.Handler {
	mux := http.NewServeMux()
	dump := func(w http.ResponseWriter, s *session.Session) {
		values := map[string]any{}
		for _, k := range s.Keys() {
			values[k], _ = s.Get(k)
		}
		json.NewEncoder(w).Encode(map[string]any{"session": fsToTyped(values), "permanent": s.Permanent(), "sid": s.ID()})
	}
	mux.HandleFunc("GET /dump", func(w http.ResponseWriter, r *http.Request) { dump(w, session.From(r)) })
	mux.HandleFunc("POST /set", func(w http.ResponseWriter, r *http.Request) {
		var body any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		values, err := fsFromTyped(body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s := session.From(r)
		for k, v := range values.(map[string]any) {
			s.Set(k, v)
		}
		if r.URL.Query().Get("permanent") == "1" {
			s.SetPermanent(true)
		}
		dump(w, s)
	})
	mux.HandleFunc("POST /flash", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Flash(r.URL.Query().Get("msg"), r.URL.Query().Get("cat"))
		dump(w, s)
	})
	mux.HandleFunc("GET /flashes", func(w http.ResponseWriter, r *http.Request) {
		out := [][2]string{}
		for _, f := range session.From(r).Flashes() {
			out = append(out, [2]string{f.Category, f.Message})
		}
		json.NewEncoder(w).Encode(map[string]any{"flashes": out})
	})
	mux.HandleFunc("POST /clear", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

type fsReply struct {
	Session   any         `json:"session"`
	Permanent bool        `json:"permanent"`
	SID       string      `json:"sid"`
	Flashes   [][2]string `json:"flashes"`
	cookie    string      // value of the session cookie set, "" if none
	setCookie bool
}

// do sends one request with the session cookie (if any).
func (x *fsInterop) do(t *testing.T, method, url, cookie string, body any) *fsReply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	resp, err := x.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s\n%s", method, url, resp.Status, data)
	}
	var r fsReply
	if len(data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	for _, c := range resp.Cookies() {
		if c.Name == "session" {
			r.cookie, r.setCookie = c.Value, true
		}
	}
	return &r
}

// values converts a reply's typed session to Go session values.
func (r *fsReply) values(t *testing.T) map[string]any {
	t.Helper()
	v, err := fsFromTyped(r.Session)
	if err != nil {
		t.Fatalf("typed session %v: %v", r.Session, err)
	}
	return v.(map[string]any)
}

func (x *fsInterop) stored(t *testing.T, sid string) []byte {
	t.Helper()
	b, err := x.rdb.Get(context.Background(), x.prefix+sid).Bytes()
	if err != nil {
		t.Fatalf("store entry %s: %v", x.prefix+sid, err)
	}
	return b
}

func (x *fsInterop) run(t *testing.T) {
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
	fw := x.do(t, "POST", x.flask+"/set", "", flaskValues)
	if !fw.setCookie || fw.SID == "" {
		t.Fatalf("Flask set no session cookie: %+v", fw)
	}
	if x.signed != strings.Contains(fw.cookie, ".") {
		t.Fatalf("Flask cookie %q: signed=%v", fw.cookie, x.signed)
	}
	cookie := fw.cookie
	if p := x.stored(t, fw.SID); p[0] != 0x80 || p[1] != 4 {
		t.Fatalf("Flask stored %x..., want a protocol 4 pickle", p[:2])
	}
	want := fw.values(t)
	g := x.do(t, "GET", x.goURL+"/dump", cookie, nil)
	if g.SID != fw.SID {
		t.Fatalf("Go opened session %q, Flask wrote %q", g.SID, fw.SID)
	}
	if d := typedjson.Diff(want, g.values(t)); d != "" {
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
	gw := x.do(t, "POST", x.goURL+"/set", cookie, goChange)
	if gw.SID != fw.SID {
		t.Fatalf("Go moved the session to %q", gw.SID)
	}
	if p := x.stored(t, fw.SID); p[0] != 0x80 || p[1] != 2 {
		t.Fatalf("Go stored %x..., want its protocol 2 pickle", p[:2])
	}
	if gw.setCookie && gw.cookie != cookie {
		t.Fatalf("Go re-issued cookie %q, want %q", gw.cookie, cookie)
	}
	fr := x.do(t, "GET", x.flask+"/dump", cookie, nil)
	if fr.SID != fw.SID {
		t.Fatalf("Flask opened %q, want %q", fr.SID, fw.SID)
	}
	if d := typedjson.Diff(gw.values(t), fr.values(t)); d != "" {
		t.Fatalf("Flask read Go's session differently: %s", d)
	}
	if tp := fsField(t, fr.Session, "cart"); !strings.Contains(fmt.Sprint(tp), "$tuple") {
		t.Errorf("Flask got cart %v; the Go Tuple should stay a Python tuple", tp)
	}
	// 0.3.2 rewrote the entry on that request (protocol 4 again); Go still
	// reads the same session.
	if p := x.stored(t, fw.SID); p[1] != 4 {
		t.Errorf("Flask did not rewrite the entry (protocol %d)", p[1])
	}
	if d := typedjson.Diff(gw.values(t), x.do(t, "GET", x.goURL+"/dump", cookie, nil).values(t)); d != "" {
		t.Errorf("Go after Flask's rewrite: %s", d)
	}

	// 3. Go creates a session; Flask reads it with Go's cookie.
	gc := x.do(t, "POST", x.goURL+"/set?permanent=1", "", map[string]any{"$dict": []any{
		[]any{"created_by", "go"},
		[]any{"n", 7},
		[]any{"_flashes", []any{map[string]any{"$tuple": []any{"info", "welcome"}}}},
	}})
	// A new session gets its id when it is committed: take it from the cookie.
	gc.SID = gc.cookie
	if i := strings.LastIndexByte(gc.cookie, '.'); x.signed && i >= 0 {
		gc.SID = gc.cookie[:i]
	}
	if !gc.setCookie || len(gc.SID) != 43 || gc.SID == fw.SID {
		t.Fatalf("Go created no new session: %+v", gc)
	}
	if x.signed != strings.Contains(gc.cookie, ".") {
		t.Fatalf("Go cookie %q: signed=%v", gc.cookie, x.signed)
	}
	fc := x.do(t, "GET", x.flask+"/dump", gc.cookie, nil)
	if fc.SID != gc.SID {
		t.Fatalf("Flask opened %q for Go's cookie, want %q (signature or id rejected)", fc.SID, gc.SID)
	}
	if d := typedjson.Diff(gc.values(t), fc.values(t)); d != "" {
		t.Fatalf("Flask read Go's new session differently: %s", d)
	}
	if !fc.Permanent {
		t.Errorf("Flask sees Go's permanent session as not permanent")
	}

	// 4. Flash messages both ways (Flask stores them as tuples).
	if got := x.do(t, "GET", x.flask+"/flashes", gc.cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"info", "welcome"} {
		t.Errorf("Flask consumed flashes %v, want [[info welcome]]", got)
	}
	x.do(t, "POST", x.flask+"/flash?msg=saved&cat=success", gc.cookie, nil)
	if got := x.do(t, "GET", x.goURL+"/flashes", gc.cookie, nil).Flashes; len(got) != 1 || got[0] != [2]string{"success", "saved"} {
		t.Errorf("Go consumed flashes %v, want [[success saved]]", got)
	}
	if _, ok := x.do(t, "GET", x.flask+"/dump", gc.cookie, nil).values(t)["_flashes"]; ok {
		t.Errorf("Flask still has _flashes after Go consumed them")
	}

	// 5. A tampered or foreign cookie is not accepted by Go.
	if x.signed {
		sid, _, _ := strings.Cut(cookie, ".")
		bad := x.do(t, "GET", x.goURL+"/dump", sid+".AAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
		if bad.SID == fw.SID || len(bad.values(t)) != 0 {
			t.Errorf("Go accepted a bad signature: %+v", bad)
		}
	} else {
		unknown := x.do(t, "GET", x.goURL+"/dump", "doesnotexist_abcdefghijklmnopqrstuvwxyz012", nil)
		if unknown.SID == "doesnotexist_abcdefghijklmnopqrstuvwxyz012" || len(unknown.values(t)) != 0 {
			t.Errorf("Go adopted an unknown id: %+v", unknown)
		}
	}

	// 6. Go clears the session: the entry is deleted, the cookie too.
	cl := x.do(t, "POST", x.goURL+"/clear", gc.cookie, nil)
	if !cl.setCookie || cl.cookie != "" {
		t.Errorf("Go sent no deletion cookie on clear")
	}
	if n, _ := x.rdb.Exists(context.Background(), x.prefix+gc.SID).Result(); n != 0 {
		t.Errorf("store entry survived Go's clear")
	}
	// Legacy Flask-Session reuses the stale id but finds no data.
	if v := x.do(t, "GET", x.flask+"/dump", gc.cookie, nil).values(t); v["created_by"] != nil {
		t.Errorf("Flask still sees cleared data: %v", v)
	}
}

// fsField returns the typed value of key in a typed dict.
func fsField(t *testing.T, typed any, key string) any {
	t.Helper()
	for _, p := range typed.(map[string]any)["$dict"].([]any) {
		if pair := p.([]any); pair[0] == key {
			return pair[1]
		}
	}
	t.Fatalf("key %q missing from %v", key, typed)
	return nil
}

// fsToTyped writes Go session values in the peer's typed JSON.
func fsToTyped(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, int, *big.Int:
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return map[string]any{"$float": "nan"}
		case math.IsInf(x, 1):
			return map[string]any{"$float": "inf"}
		case math.IsInf(x, -1):
			return map[string]any{"$float": "-inf"}
		}
		return map[string]any{"$float": strconv.FormatFloat(x, 'g', -1, 64)}
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(x)}
	case session.Tuple:
		return map[string]any{"$tuple": fsToTyped([]any(x))}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fsToTyped(e)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]any, len(keys))
		for i, k := range keys {
			pairs[i] = []any{k, fsToTyped(x[k])}
		}
		return map[string]any{"$dict": pairs}
	case time.Time:
		return map[string]any{"$datetime": x.Format("2006-01-02T15:04:05.000000-07:00")}
	case session.UUID:
		return map[string]any{"$uuid": x.String()}
	case session.Markup:
		return map[string]any{"$markup": string(x)}
	}
	return map[string]any{"$unsupported": fmt.Sprintf("%T", v)}
}

// fsFromTyped reads the peer's typed JSON into Go session values, mapping
// Python types as flasksession does: sets to lists, dates to strings,
// naive datetimes to UTC.
func fsFromTyped(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		if b, ok := new(big.Int).SetString(string(x), 10); ok {
			return b, nil
		}
		return nil, fmt.Errorf("bad number %s", x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			g, err := fsFromTyped(e)
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	case map[string]any:
		for k, inner := range x {
			s, _ := inner.(string)
			switch k {
			case "$dict":
				out := map[string]any{}
				for _, p := range inner.([]any) {
					pair := p.([]any)
					key, ok := pair[0].(string)
					if !ok {
						return nil, fmt.Errorf("non-string key %v", pair[0])
					}
					g, err := fsFromTyped(pair[1])
					if err != nil {
						return nil, err
					}
					out[key] = g
				}
				return out, nil
			case "$tuple":
				l, err := fsFromTyped(inner)
				if err != nil {
					return nil, err
				}
				return session.Tuple(l.([]any)), nil
			case "$set":
				return fsFromTyped(inner)
			case "$float":
				switch s {
				case "nan":
					return math.NaN(), nil
				case "inf":
					return math.Inf(1), nil
				case "-inf":
					return math.Inf(-1), nil
				}
				return strconv.ParseFloat(s, 64)
			case "$bytes":
				return base64.StdEncoding.DecodeString(s)
			case "$date":
				return s, nil
			case "$uuid":
				var u session.UUID
				err := u.UnmarshalText([]byte(s))
				return u, err
			case "$markup":
				return session.Markup(s), nil
			case "$datetime":
				if t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s); err == nil {
					return t, nil
				}
				return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
			}
			return nil, fmt.Errorf("unknown typed marker %q", k)
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
