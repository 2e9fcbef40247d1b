package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/internal/testenv"
	"github.com/flaskgo/session/typedjson"

	session "github.com/flaskgo/session"
)

// TestPut: store put on every real store writes what show reads back, with
// the owner and expiry asked for; the key derives from the id as the
// Manager derives it.
func TestPut(t *testing.T) {
	const in = `{"user_id": 42, "cart": [1, {"$tuple": ["a", {"$bytes": "AAE="}]}], "when": {"$datetime": "2024-01-02T03:04:05Z"}}`
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			url, flags, open := fx.setup(t)
			st := open(time.Now)
			prefix := "sctl-put-" + randHex(t, 4) + ":"
			id := "-id" + randHex(t, 8) // ids may start with "-"
			key := session.StoreKey(prefix, id, false)
			t.Cleanup(func() { st.Delete(context.Background(), key) })
			base := append([]string{"--store", url, "--key-prefix", prefix}, flags...)
			user := "u-" + randHex(t, 3)
			out, _ := mustRun(t, exitOK, in, append(append([]string{"store", "put", "--id", "--typed", "--ttl", "120", "--user", user, "--json"}, base...), "--", id)...)
			var put struct {
				Key, Serializer, Expires string
				Size                     int
			}
			if err := json.Unmarshal([]byte(out), &put); err != nil {
				t.Fatal(err)
			}
			exp, err := time.Parse(time.RFC3339, put.Expires)
			if put.Key != key || put.Serializer != "tagged" || err != nil || time.Until(exp) > 121*time.Second || time.Until(exp) < 100*time.Second {
				t.Errorf("put --json: %s", out)
			}
			rec, err := st.Load(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if rec.UserID != user || len(rec.Data) != put.Size {
				t.Errorf("stored %+v", rec)
			}
			obj, got := showTyped(t, base, id)
			if d := typedjson.Diff(got, typedValue(t, in)); d != "" || obj["serializer"] != "tagged" || obj["user_id"] != user {
				t.Errorf("show after put: %s %v", d, obj)
			}
			if ks := keysOf(lsJSON(t, append([]string{"--store", url, "--prefix", prefix}, flags...), "--user", user)); len(ks) != 1 || ks[0] != key {
				t.Errorf("ls --user after put: %v", ks)
			}
			// Plain JSON, replacing the record.
			mustRun(t, exitOK, `{"a": 1.5}`, append([]string{"store", "put", key}, base...)...)
			if _, got := showTyped(t, base, id); !typedjson.Equal(got, map[string]any{"a": 1.5}) {
				t.Errorf("after plain put: %v", got)
			}
		})
	}
}

func TestPutErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"bad serializer", `{}`, []string{"--serializer", "yaml", "k"}, exitUsage, `unknown --serializer "yaml" (want json, msgpack, pickle, tagged)`},
		{"zero ttl", `{}`, []string{"--ttl", "0", "k"}, exitUsage, "--ttl must be positive"},
		{"not an object", `[1]`, []string{"k"}, exitUsage, "want an object"},
		{"bad typed", `{"a": {"$nope": 1}}`, []string{"--typed", "k"}, exitUsage, "stdin:"},
		{"empty id", `{}`, []string{"--id", "--", ""}, exitUsage, "empty session id"},
		{"no key", `{}`, nil, exitUsage, "want one KEY"},
		{"big int as msgpack", `{"n": {"$int": "99999999999999999999999"}}`, []string{"--typed", "--serializer", "msgpack", "k"}, exitUsage, "cannot be encoded as msgpack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := mustRun(t, tt.code, tt.stdin, append([]string{"store", "put", "--store", "memory:"}, tt.args...)...)
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr %q lacks %q", errs, tt.want)
			}
		})
	}
}

// TestMemcachedScheme: memcached:// opens memcachestore; it cannot list,
// so stats says unknown and ls fails; bad URLs are usage errors.
func TestMemcachedScheme(t *testing.T) {
	tests := []struct {
		url  string
		code int
		want string
	}{
		{"memcached://u:p@127.0.0.1:11211", exitUsage, "no user, path or query"},
		{"memcached://127.0.0.1:11211/0", exitUsage, "no user, path or query"},
		{"memcached://", exitUsage, "names no server"},
		{"memcached://127.0.0.1:1", exitStore, "memcached 127.0.0.1:1"},
	}
	for _, tt := range tests {
		_, errs := mustRun(t, tt.code, "", "store", "stats", "--store", tt.url)
		if !strings.Contains(errs, tt.want) || strings.Contains(errs, ":p@") {
			t.Errorf("%s: %q lacks %q", tt.url, errs, tt.want)
		}
	}
	url := env("SESSIONCTL_TEST_MEMCACHED", "memcached://127.0.0.1:11211")
	if code, _, errs := cli(t, "", "store", "stats", "--store", url); code != exitOK {
		testenv.Unavailable(t, "memcached at %s: %s", url, errs)
	}
	out, _ := mustRun(t, exitOK, "", "store", "stats", "--json", "--store", url)
	if v := jsonValue(t, out).(map[string]any); v["records"] != nil || v["by_owner"] != nil || v["by_expiry"] != nil {
		t.Errorf("stats --json on memcached: %s", out)
	}
	_, errs := mustRun(t, exitStore, "", "store", "ls", "--store", url)
	if !strings.Contains(errs, "cannot list its records") {
		t.Errorf("ls on memcached: %q", errs)
	}
	id := "hctl-" + randHex(t, 8)
	mustRun(t, exitOK, `{"a": 1}`, "store", "put", "--store", url, "--id", "--ttl", "60", id)
	if _, got := showTyped(t, []string{"--store", url}, id); !typedjson.Equal(got, map[string]any{"a": int64(1)}) {
		t.Errorf("show: %v", got)
	}
	mustRun(t, exitOK, "", "store", "rm", "--store", url, "--id", id)
	mustRun(t, exitInvalid, "", "store", "show", "--store", url, "--id", id)
}
