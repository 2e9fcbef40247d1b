package main

// --flask-session against Debian's Flask-Session 0.3.2: testdata/fspeer.py
// runs one request through Flask-Session's own session interface, so the
// records it reads and writes are exactly Flask's.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/typedjson"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
)

// fsSample holds every value type a Flask session carries, in the typed
// form: text with non-ASCII characters, ints small and big, a float, a
// list, a nested dict, booleans, None, bytes and a flash.
const fsSample = `{
	"name": "Zoë ✓ 東京",
	"n": 42,
	"neg": -7,
	"big": ` + fsBig + `,
	"f": {"$float": "0.1"},
	"list": [1, "two", null, true, {"$float": "2.5"}],
	"d": {"k": {"$tuple": [1, "x"]}, "inner": {"a": []}},
	"ok": false,
	"none": null,
	"raw": {"$bytes": "AAEC/w=="},
	"_flashes": [{"$tuple": ["message", "hi ünïcode"]}]
}`

// fsBig does not fit MessagePack; fsBig64 does (and not a float64).
const (
	fsBig   = `{"$int": "123456789012345678901234567890"}`
	fsBig64 = `{"$int": "18446744073709551615"}`
)

// fsBackend is one Flask-Session backend: the sessionctl store URL and
// flags, and the arguments that point fspeer.py at the same data.
type fsBackend struct {
	name  string
	setup func(t *testing.T) (url string, flags, peer []string)
	// formats the Go side may write and still read back: every one; Flask
	// 0.3.2 itself reads pickle only.
}

func fsBackends() []fsBackend {
	rd := env("SESSIONCTL_TEST_REDIS", "redis://127.0.0.1:6379/0")
	mc := env("SESSIONCTL_TEST_MEMCACHED", "memcached://127.0.0.1:11211")
	return []fsBackend{
		{name: "redis", setup: func(t *testing.T) (string, []string, []string) {
			o, err := redis.ParseURL(rd)
			if err != nil {
				t.Fatal(err)
			}
			c := redis.NewClient(o)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := c.Ping(ctx).Err(); err != nil {
				testenv.Unavailable(t, "Redis at %s unreachable: %v", rd, err)
			}
			return rd, nil, []string{"--type", "redis", "--redis", strings.TrimPrefix(rd, "redis://")}
		}},
		{name: "filesystem", setup: func(t *testing.T) (string, []string, []string) {
			dir := t.TempDir()
			return "file:" + dir, nil, []string{"--type", "filesystem", "--dir", dir}
		}},
		fsSQLBackend("sqlite", "", ""),
		fsSQLBackend("postgres", env("SESSIONCTL_TEST_PG", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "postgresql://postgres@127.0.0.1:5432/test"),
		fsSQLBackend("mysql", env("SESSIONCTL_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test"), "mysql+pymysql://root@127.0.0.1:3306/test"),
		{name: "memcached", setup: func(t *testing.T) (string, []string, []string) {
			addr := strings.TrimPrefix(mc, "memcached://")
			c := memcache.New(addr)
			defer c.Close()
			if err := c.Ping(); err != nil {
				testenv.Unavailable(t, "memcached at %s unreachable: %v", addr, err)
			}
			return mc, nil, []string{"--type", "memcached", "--memcached", addr}
		}},
	}
}

// fsSQLBackend is Flask-Session's SQLAlchemy table, created by Flask
// (db.create_all) under a name of this test's own. url and uri name the
// same database for sessionctl and for SQLAlchemy; sqlite uses a
// temporary file.
func fsSQLBackend(name, url, uri string) fsBackend {
	return fsBackend{name: name, setup: func(t *testing.T) (string, []string, []string) {
		driver, dsn := "sqlite", ""
		switch name {
		case "sqlite":
			path := filepath.Join(t.TempDir(), "flask.db")
			url, uri, dsn = "sqlite:"+path, "sqlite:///"+path, "file:"+path
		case "postgres":
			driver, dsn = "pgx", url
		case "mysql":
			driver = "mysql"
			dsn, _ = mysqlDSN(url)
		}
		table := "hctl_fs_" + randHex(t, 4)
		peer := []string{"--type", "sqlalchemy", "--uri", uri, "--table", table}
		if name != "sqlite" {
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := db.PingContext(ctx); err != nil {
				db.Close()
				testenv.Unavailable(t, "%s at %s unreachable: %v", name, redact(url), err)
			}
			t.Cleanup(func() {
				if _, err := db.Exec("DROP TABLE " + table); err != nil {
					t.Errorf("dropping %s: %v", table, err)
				}
				db.Close()
			})
		}
		return url, []string{"--table", table}, append(peer, "--create")
	}}
}

func fsPeerAvailable(t *testing.T) {
	t.Helper()
	out, err := exec.Command(testenv.SystemPython, "-c", "import flask, flask_session, redis, pymemcache, cachelib, flask_sqlalchemy").CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "%s lacks Flask-Session or a backend client (apt-get install python3-flask-session python3-redis python3-pymemcache python3-cachelib python3-flask-sqlalchemy): %v %s",
			testenv.SystemPython, err, bytes.TrimSpace(out))
	}
}

// fsPeer is a running testdata/fspeer.py: one Python process per backend,
// answering one JSON request per line.
type fsPeer struct {
	in   io.WriteCloser
	out  *bufio.Reader
	errb *bytes.Buffer
}

func startFSPeer(t *testing.T, args ...string) *fsPeer {
	t.Helper()
	cmd := exec.Command(testenv.SystemPython, append([]string{"testdata/fspeer.py"}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &fsPeer{in: in, out: bufio.NewReader(out), errb: new(bytes.Buffer)}
	cmd.Stderr = p.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // the peer exits when its stdin closes
		if err := cmd.Wait(); err != nil {
			t.Errorf("fspeer.py: %v\n%s", err, p.errb)
		}
	})
	if line, err := p.out.ReadString('\n'); err != nil || line != "READY\n" {
		t.Fatalf("fspeer.py %s: %q %v\n%s", strings.Join(args, " "), line, err, p.errb)
	}
	return p
}

// call sends one request and returns the session of the answer (read) or
// nil (write).
func (p *fsPeer) call(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("fspeer.py: %v\n%s", err, p.errb)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("fspeer.py: %v\n%s", err, p.errb)
	}
	var res struct {
		Session map[string]any `json:"session"`
		Error   string         `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil || res.Error != "" {
		t.Fatalf("fspeer.py %s: %v %s", b, err, line)
	}
	if res.Session == nil {
		return nil
	}
	v, err := fromTyped(res.Session)
	if err != nil {
		t.Fatalf("fspeer.py: %v\n%s", err, line)
	}
	return v
}

func (p *fsPeer) read(t *testing.T, prefix, sid string) map[string]any {
	t.Helper()
	return p.call(t, map[string]any{"op": "read", "prefix": prefix, "sid": sid})
}

func (p *fsPeer) write(t *testing.T, prefix, sid, typed string) {
	t.Helper()
	var obj any
	if err := json.Unmarshal([]byte(typed), &obj); err != nil {
		t.Fatal(err)
	}
	p.call(t, map[string]any{"op": "write", "prefix": prefix, "sid": sid, "session": obj})
}

// typedValue decodes typed JSON text into session values.
func typedValue(t *testing.T, s string) map[string]any {
	t.Helper()
	obj, err := readObject(strings.NewReader(s))
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	v, err := fromTyped(obj)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return v
}

// withPermanent is want plus the "_permanent": true Flask-Session adds to
// every session it saves.
func withPermanent(t *testing.T, want string) map[string]any {
	v := typedValue(t, want)
	v["_permanent"] = true
	return v
}

// showTyped runs store show --id --typed --json and returns the object.
func showTyped(t *testing.T, base []string, sid string) (map[string]any, map[string]any) {
	t.Helper()
	out, _ := mustRun(t, exitOK, "", append(append([]string{"store", "show", "--id", "--typed", "--json"}, base...), "--", sid)...)
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || dec.More() {
		t.Fatalf("show --json printed not one object (%v):\n%s", err, out)
	}
	sess, ok := obj["session"].(map[string]any)
	if !ok {
		t.Fatalf("show --json: no \"session\" object:\n%s", out)
	}
	v, err := fromTyped(sess)
	if err != nil {
		t.Fatalf("show --json: session not in the typed form: %v\n%s", err, out)
	}
	return obj, v
}

// TestFlaskSessionLayouts shares sessions between sessionctl and Flask-Session
// 0.3.2 on each backend, with a prefix and with none: sessionctl put → Flask
// reads it (pickle; msgpack and JSON read back by sessionctl), Flask writes →
// store show --id --typed --json prints it; rm deletes what Flask wrote.
func TestFlaskSessionLayouts(t *testing.T) {
	fsPeerAvailable(t)
	for _, be := range fsBackends() {
		t.Run(be.name, func(t *testing.T) {
			url, flags, peerArgs := be.setup(t)
			peer := startFSPeer(t, peerArgs...)
			for _, prefix := range []string{"hctl-" + randHex(t, 4) + ":", ""} {
				name := "prefix " + prefix
				if prefix == "" {
					name = "empty prefix"
				}
				t.Run(name, func(t *testing.T) {
					base := append([]string{"--store", url, "--flask-session", "--key-prefix", prefix}, flags...)
					fsLayoutCase(t, base, peer, prefix)
				})
			}
		})
	}
}

func fsLayoutCase(t *testing.T, base []string, peer *fsPeer, prefix string) {
	rm := func(sid string) {
		t.Cleanup(func() { cli(t, "", append(append([]string{"store", "rm", "--id"}, base...), "--", sid)...) })
	}
	want := typedValue(t, fsSample)

	t.Run("Go writes, Flask reads", func(t *testing.T) {
		sid := "hctl-go-" + randHex(t, 8)
		rm(sid)
		out, _ := mustRun(t, exitOK, fsSample, append(append([]string{"store", "put", "--id", "--typed", "--ttl", "600", "--json"}, base...), "--", sid)...)
		if v := jsonValue(t, out).(map[string]any); v["serializer"] != "pickle" {
			t.Errorf("put: default serializer %v, want pickle", v["serializer"])
		}
		flask := peer.read(t, prefix, sid)
		if d := typedjson.Diff(flask, want); d != "" {
			t.Errorf("Flask-Session read %v\nwant %s\ndiff: %s", flask, fsSample, d)
		}
	})

	for _, ser := range []string{"pickle", "msgpack", "json"} {
		t.Run("put --serializer "+ser+", show", func(t *testing.T) {
			sid := "hctl-" + ser + "-" + randHex(t, 8)
			rm(sid)
			in := fsSample
			if ser == "msgpack" {
				// MessagePack holds 64-bit integers only, as msgspec does.
				_, errs := mustRun(t, exitUsage, in, append(append([]string{"store", "put", "--id", "--typed", "--serializer", ser}, base...), "--", sid)...)
				if !strings.Contains(errs, "cannot be encoded as msgpack") {
					t.Errorf("put of a big int as msgpack: %q", errs)
				}
				in = strings.Replace(in, fsBig, fsBig64, 1)
			}
			mustRun(t, exitOK, in, append(append([]string{"store", "put", "--id", "--typed", "--serializer", ser, "--ttl", "600"}, base...), "--", sid)...)
			obj, got := showTyped(t, base, sid)
			if obj["serializer"] != ser {
				t.Errorf("show: serializer %v, want %s", obj["serializer"], ser)
			}
			wantHere := want
			if ser == "json" {
				// Flask-Session's JSON (msgspec) has no bytes or tuples:
				// bytes come back as base64 text, tuples as lists.
				wantHere = typedValue(t, strings.NewReplacer(`{"$bytes": "AAEC/w=="}`, `"AAEC/w=="`, `{"$tuple": [1, "x"]}`, `[1, "x"]`,
					`{"$tuple": ["message", "hi ünïcode"]}`, `["message", "hi ünïcode"]`).Replace(fsSample))
			}
			if ser == "msgpack" {
				wantHere = typedValue(t, strings.NewReplacer(`{"$tuple": [1, "x"]}`, `[1, "x"]`,
					`{"$tuple": ["message", "hi ünïcode"]}`, `["message", "hi ünïcode"]`, fsBig, fsBig64).Replace(fsSample))
			}
			if d := typedjson.Diff(got, wantHere); d != "" {
				t.Errorf("show after put --serializer %s: %s", ser, d)
			}
		})
	}

	t.Run("ls and stats", func(t *testing.T) {
		if strings.HasPrefix(base[1], "memcached:") {
			return // memcached cannot list (TestMemcachedScheme)
		}
		sid := "hctl-ls-" + randHex(t, 8)
		rm(sid)
		mustRun(t, exitOK, fsSample, append(append([]string{"store", "put", "--id", "--typed", "--ttl", "7200"}, base...), "--", sid)...)
		key := base[4] + sid // --key-prefix P
		listed := key
		if strings.HasPrefix(base[1], "file:") {
			listed = cachelibstore.FileName(key) // cachelib's files hide their keys
		}
		out, _ := mustRun(t, exitOK, "", append([]string{"store", "ls", "-q"}, base...)...)
		if !strings.Contains("\n"+out, "\n"+listed+"\n") {
			t.Errorf("ls -q lacks %s:\n%s", listed, out)
		}
		out, _ = mustRun(t, exitOK, "", append([]string{"store", "stats", "--json"}, base...)...)
		var v statsJSON
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if v.Records == nil || *v.Records < 1 || v.ByExpiry["<1d"] < 1 {
			t.Errorf("stats --json: %s", out)
		}
	})

	t.Run("Flask writes, Go reads", func(t *testing.T) {
		sid := "hctl-py-" + randHex(t, 8)
		rm(sid)
		peer.write(t, prefix, sid, fsSample)
		obj, got := showTyped(t, base, sid)
		if d := typedjson.Diff(got, withPermanent(t, fsSample)); d != "" {
			t.Errorf("show of Flask's record: %s\n%v", d, obj)
		}
		if obj["serializer"] != "pickle" {
			t.Errorf("serializer %v, want pickle", obj["serializer"])
		}
		out, _ := mustRun(t, exitOK, "", append(append([]string{"store", "rm", "--id"}, base...), "--", sid)...)
		if !strings.HasPrefix(out, "deleted ") {
			t.Errorf("rm: %q", out)
		}
		if got := peer.read(t, prefix, sid); !typedjson.Equal(got, map[string]any{"_permanent": true}) {
			t.Errorf("Flask still sees the session after rm: %v", got)
		}
	})
}
