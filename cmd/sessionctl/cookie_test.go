package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const simpleCookie = "eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8" // {"user_id":42} at 1700000000, key public-test-secret-1

// signTyped makes a cookie from a typed session with sign --typed.
func signTyped(t *testing.T, typedJSON, key string, ts string) string {
	t.Helper()
	out, _ := mustRun(t, exitOK, typedJSON, "sign", "--typed", "--secret", key, "--timestamp", ts)
	return strings.TrimSuffix(out, "\n")
}

func TestDecodePlainJSON(t *testing.T) {
	tests := []struct {
		name, typed, plain string
	}{
		{"int", `{"n": 42}`, `{"n":42}`},
		{"big int", `{"n": {"$int": "123456789012345678901234567890"}}`, `{"n":123456789012345678901234567890}`},
		{"float", `{"f": {"$float": "1.5"}, "z": {"$float": "-0.0"}}`, `{"f":1.5,"z":-0}`},
		{"non-finite floats", `{"a": {"$float": "nan"}, "b": {"$float": "inf"}, "c": {"$float": "-inf"}}`, `{"a":"NaN","b":"Infinity","c":"-Infinity"}`},
		{"tuple", `{"t": {"$tuple": [1, "x", {"$tuple": []}]}}`, `{"t":[1,"x",[]]}`},
		{"bytes", `{"b": {"$bytes": "AAEC/w=="}}`, `{"b":"AAEC/w=="}`},
		{"uuid", `{"u": {"$uuid": "12345678-1234-5678-1234-567812345678"}}`, `{"u":"12345678-1234-5678-1234-567812345678"}`},
		{"datetime", `{"d": {"$datetime": "2023-11-14T22:13:20Z"}}`, `{"d":"2023-11-14T22:13:20Z"}`},
		{"markup", `{"m": {"$markup": "<b>hi</b> & bye"}}`, `{"m":"<b>hi</b> & bye"}`},
		{"nested", `{"a": [{"b": {"$tuple": [true, null]}}], "$x": 1}`, `{"$x":1,"a":[{"b":[true,null]}]}`},
		{"dollar dict", `{"$dict": {"$only": 1}}`, `{"$only":1}`},
		{"flashes", `{"_flashes": [{"$tuple": ["message", "Hello"]}]}`, `{"_flashes":[["message","Hello"]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cookie := signTyped(t, tt.typed, "k", "1700000000")
			out, _ := mustRun(t, exitOK, "", "decode", "--secret", "k", "--now", "1700000000", cookie)
			if out != tt.plain+"\n" {
				t.Errorf("plain output\n got %s\nwant %s", out, tt.plain)
			}
			// --typed gives the typed form back.
			out, _ = mustRun(t, exitOK, "", "decode", "--typed", "--secret", "k", "--now", "1700000000", cookie)
			if got, want := jsonValue(t, out), jsonValue(t, tt.typed); !reflect.DeepEqual(got, want) {
				t.Errorf("typed output\n got %s\nwant %s", out, tt.typed)
			}
		})
	}
}

func TestSignPlainJSON(t *testing.T) {
	tests := []struct {
		name, in, typed string
	}{
		{"int and float", `{"i": 1, "f": 1.0, "e": 1e3}`, `{"i":1,"f":{"$float":"1.0"},"e":{"$float":"1000.0"}}`},
		{"big int", `{"n": -123456789012345678901234567890}`, `{"n":{"$int":"-123456789012345678901234567890"}}`},
		{"plain marker keys stay keys", `{"x": {"$tuple": [1]}}`, `{"x":{"$dict":{"$tuple":[1]}}}`},
		{"nested", `{"a": [1, {"b": null}], "s": "é"}`, `{"a":[1,{"b":null}],"s":"é"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := mustRun(t, exitOK, tt.in, "sign", "--secret", "k", "--timestamp", "1700000000")
			cookie := strings.TrimSuffix(out, "\n")
			dec, _ := mustRun(t, exitOK, "", "decode", "--typed", "--secret", "k", "--now", "1700000000", cookie)
			if got, want := jsonValue(t, dec), jsonValue(t, tt.typed); !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %s\nwant %s", dec, tt.typed)
			}
		})
	}
}

func TestSignJSONAndSizeWarning(t *testing.T) {
	out, errs := mustRun(t, exitOK, `{"user_id":42}`, "sign", "--json", "--secret", "public-test-secret-1", "--timestamp", "1700000000")
	if errs != "" {
		t.Errorf("stderr: %s", errs)
	}
	var v struct {
		Cookie     string `json:"cookie"`
		Size       int    `json:"size"`
		CookieSize int    `json:"cookie_size"`
		Compressed bool   `json:"compressed"`
		SignedAt   string `json:"signed_at"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Cookie != simpleCookie || v.Size != len(simpleCookie) || v.CookieSize != len(simpleCookie)+len("session") || v.Compressed || v.SignedAt != "2023-11-14T22:13:20Z" {
		t.Errorf("sign --json: %+v", v)
	}

	// Random-looking data compresses poorly: the cookie gets too large.
	var big strings.Builder
	big.WriteString(`{"blob":"`)
	x := uint32(1)
	for i := 0; i < 8000; i++ {
		x = x*1664525 + 1013904223
		big.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[x>>27])
	}
	big.WriteString(`"}`)
	out, errs = mustRun(t, exitOK, big.String(), "sign", "--secret", "k")
	if !strings.Contains(errs, "warning") || !strings.Contains(errs, "4096") {
		t.Errorf("no size warning: %q", errs)
	}
	if len(out) < 4096 {
		t.Errorf("cookie unexpectedly small: %d", len(out))
	}
}

func TestDecodeWithoutKeyWarns(t *testing.T) {
	out, errs := mustRun(t, exitOK, "", "decode", simpleCookie)
	if out != `{"user_id":42}`+"\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errs, "warning: signature NOT verified") {
		t.Errorf("stderr %q", errs)
	}
	// A wrong signature does not matter without a key, a broken payload does.
	tampered := simpleCookie[:len(simpleCookie)-3] + "AAA"
	mustRun(t, exitOK, "", "decode", tampered)
	mustRun(t, exitInvalid, "", "decode", "not-a-cookie")
}

func TestDecodeJSONEnvelope(t *testing.T) {
	old := signTyped(t, `{"a": {"$tuple": [1]}}`, "old", "1700000000")
	out, _ := mustRun(t, exitOK, "", "decode", "--json", "--secret", "new", "--secret", "old", "--now", "1700000005", old)
	want := `{"key_index":1,"session":{"a":[1]},"signed_at":"2023-11-14T22:13:20Z","valid":true,"verified":true}`
	if got := jsonValue(t, out); !reflect.DeepEqual(got, jsonValue(t, want)) {
		t.Errorf("\n got %s\nwant %s", out, want)
	}
	out, errs := mustRun(t, exitInvalid, "", "decode", "--json", "--secret", "other", "--now", "1700000005", old)
	v := jsonValue(t, out).(map[string]any)
	if v["valid"] != false || !strings.Contains(v["error"].(string), "bad signature") || !strings.Contains(errs, "bad signature") {
		t.Errorf("stdout %s stderr %s", out, errs)
	}
}

func TestDecodeAge(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"fresh", []string{"--now", "1700000060"}, exitOK},
		{"at max age", []string{"--now", "1700003600", "--max-age", "3600"}, exitOK},
		{"one second over", []string{"--now", "1700003601", "--max-age", "3600"}, exitInvalid},
		{"default 31 days", []string{"--now", "1702678400"}, exitOK},
		{"31 days and a second", []string{"--now", "1702678401"}, exitInvalid},
		{"age check off", []string{"--now", "1900000000", "--max-age", "0"}, exitOK},
		{"future", []string{"--now", "1699999999"}, exitInvalid},
		{"now is current time", nil, exitInvalid}, // the vector is from 2023
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"decode", "--secret", "public-test-secret-1"}, tt.args...)
			_, errs := mustRun(t, tt.want, "", append(args, simpleCookie)...)
			if tt.want == exitInvalid && !strings.Contains(errs, "expired") && !strings.Contains(errs, "future") {
				t.Errorf("reason %q does not say expired", errs)
			}
		})
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	out, _ := mustRun(t, exitOK, "", "decode", simpleCookie, "--secret", "public-test-secret-1", "--now", "1700000060")
	if out != `{"user_id":42}`+"\n" {
		t.Errorf("stdout %q", out)
	}
	// "--" ends the flags: what follows is the cookie even if it looks
	// like a flag.
	_, errs := mustRun(t, exitInvalid, "", "decode", "--secret", "k", "--", "-not-a-flag")
	if !strings.Contains(errs, "invalid cookie") {
		t.Errorf("stderr %q", errs)
	}
}

func TestCookieFromStdin(t *testing.T) {
	out, _ := mustRun(t, exitOK, simpleCookie+"\r\n", "decode", "--secret", "public-test-secret-1", "--now", "1700000060", "-")
	if out != `{"user_id":42}`+"\n" {
		t.Errorf("stdout %q", out)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	if err := os.WriteFile(file, []byte("\nnew-key\r\n\npublic-test-secret-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := []string{"--now", "1700000060"}
	t.Run("file, fallback line", func(t *testing.T) {
		_, errs := mustRun(t, exitOK, "", append([]string{"verify", "--secret-file", file, simpleCookie}, now...)...)
		if !strings.Contains(errs, "key 1 (fallback 1)") {
			t.Errorf("stderr %q", errs)
		}
	})
	t.Run("file signs with its first line", func(t *testing.T) {
		out, _ := mustRun(t, exitOK, `{"a":1}`, "sign", "--secret-file", file)
		mustRun(t, exitOK, "", "verify", "--secret", "new-key", strings.TrimSpace(out))
	})
	t.Run("flags then file", func(t *testing.T) {
		_, errs := mustRun(t, exitOK, "", append([]string{"verify", "--secret", "x", "--secret-file", file, simpleCookie}, now...)...)
		if !strings.Contains(errs, "key 2 (fallback 2)") {
			t.Errorf("stderr %q", errs)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv(envSecret, "public-test-secret-1")
		out, errs := mustRun(t, exitOK, "", append([]string{"decode", simpleCookie}, now...)...)
		if out != `{"user_id":42}`+"\n" || errs != "" {
			t.Errorf("stdout %q stderr %q", out, errs)
		}
	})
	t.Run("environment key may hold commas", func(t *testing.T) {
		t.Setenv(envSecret, "a,b")
		cookie, _ := mustRun(t, exitOK, `{"a":1}`, "sign")
		mustRun(t, exitOK, "", "verify", "--secret", "a,b", strings.TrimSpace(cookie))
		mustRun(t, exitInvalid, "", "verify", "--secret", "a", strings.TrimSpace(cookie))
	})
	t.Run("flags override the environment", func(t *testing.T) {
		t.Setenv(envSecret, "public-test-secret-1")
		mustRun(t, exitInvalid, "", append([]string{"verify", "--secret", "other", simpleCookie}, now...)...)
	})
	t.Run("missing file", func(t *testing.T) {
		_, errs := mustRun(t, exitStore, "", "verify", "--secret-file", filepath.Join(dir, "nope"), simpleCookie)
		if !strings.Contains(errs, "secret file") {
			t.Errorf("stderr %q", errs)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		mustRun(t, exitUsage, "", "verify", "--secret-file", empty, simpleCookie)
	})
}

// TestSecretsAreNeverPrinted runs every command that takes keys, in success
// and failure, and looks for the key in everything printed.
func TestSecretsAreNeverPrinted(t *testing.T) {
	const secret = "very-secret-key-material"
	cookie := signTyped(t, `{"a": 1}`, secret, "1700000000")
	runs := [][]string{
		{"decode", "--secret", secret, cookie},
		{"decode", "--secret", secret, "--now", "1700000000", cookie},
		{"decode", "--json", "--secret", secret, "--now", "1700000000", cookie},
		{"verify", "--secret", secret, "garbage"},
		{"verify", "--json", "--secret", secret, "--now", "1700000000", cookie},
		{"inspect", "--secret", secret, "--secret", "other", cookie},
		{"inspect", "--json", "--secret", secret, cookie},
		{"inspect", "--secret", secret, "--help"},
		{"decode", "--secret", secret, "--digest", "md4", cookie},
		{"sign", "--secret", secret, "--bogus"},
	}
	for _, args := range runs {
		_, out, errs := cli(t, `{"b": 2}`, args...)
		if strings.Contains(out, secret) || strings.Contains(errs, secret) {
			t.Errorf("sessionctl %v printed the secret:\n%s\n%s", args, out, errs)
		}
	}
}

func TestInspect(t *testing.T) {
	repetitive := `{"cart": ["` + strings.Repeat("item-", 200) + `"], "_user_id": "42", "when": {"$datetime": "2023-11-14T22:13:20Z"}, "_flashes": [{"$tuple": ["message", "hi"]}], "weird key": 1}`
	compressed := signTyped(t, repetitive, "old", "1700000000")
	if !strings.HasPrefix(compressed, ".") {
		t.Fatalf("test cookie is not compressed: %s", compressed)
	}
	tests := []struct {
		name   string
		args   []string
		cookie string
		code   int
		want   []string
	}{
		{"valid", []string{"--secret", "public-test-secret-1", "--now", "1700000060"}, simpleCookie, exitOK, []string{
			"cookie:      valid",
			"signature:   verified by key 0 (current)",
			"signed at:   2023-11-14T22:13:20Z (1m0s ago)",
			"max age:     31d: not expired; expires 2023-12-15T22:13:20Z",
			"compressed:  no (14 bytes of JSON)",
			"size:        54 bytes; with the name \"session\" 61 of 4096 bytes",
			"fields (1):",
			"  user_id  int  42",
		}},
		{"fallback key, compressed", []string{"--secret", "new", "--secret", "old", "--now", "1700000060"}, compressed, exitOK, []string{
			"verified by key 1 (fallback 1)",
			"compressed:  yes (zlib: ",
			"fields (5):",
			"_flashes",
			"list      [[\"message\",\"hi\"]]",
			"\"weird key\"",
			"when",
			"datetime  \"2023-11-14T22:13:20Z\"",
		}},
		{"expired", []string{"--secret", "public-test-secret-1", "--now", "1700007200", "--max-age", "3600"}, simpleCookie, exitInvalid, []string{
			"cookie:      INVALID: expired: signed 2h0m0s ago, max age 1h0m0s",
			"verified by key 0 (current)",
			"user_id  int  42",
		}},
		{"wrong key still shows content", []string{"--secret", "nope", "--now", "1700000060"}, simpleCookie, exitInvalid, []string{
			"cookie:      INVALID: signer: bad signature",
			"does not verify with any of the 1 given keys",
			"user_id  int  42",
		}},
		{"no key", []string{"--now", "1700000060"}, simpleCookie, exitOK, []string{
			"decodes, but NOT verified (no key given)",
			"signature:   NOT verified (no key given)",
		}},
		{"custom name counts in the size", []string{"--name", "a-much-longer-cookie-name", "--now", "1700000060"}, simpleCookie, exitOK, []string{
			"with the name \"a-much-longer-cookie-name\" 79 of 4096 bytes",
		}},
		{"malformed", []string{"--secret", "k"}, "garbage", exitInvalid, []string{
			"INVALID: signer: malformed token",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := mustRun(t, tt.code, "", append(append([]string{"inspect"}, tt.args...), tt.cookie)...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestInspectJSON(t *testing.T) {
	out, _ := mustRun(t, exitInvalid, "", "inspect", "--json", "--secret", "x", "--secret", "public-test-secret-1", "--now", "1700007200", "--max-age", "3600", simpleCookie)
	v := jsonValue(t, out).(map[string]any)
	want := map[string]any{
		"valid": false, "verified": true, "key_index": json.Number("1"), "key": "fallback 1",
		"signed_at": "2023-11-14T22:13:20Z", "age_seconds": json.Number("7200"), "max_age_seconds": json.Number("3600"),
		"expired": true, "expires_at": "2023-11-14T23:13:20Z", "compressed": false, "size": json.Number("54"),
		"cookie_size": json.Number("61"), "size_limit": json.Number("4096"), "too_large": false,
		"json_bytes": json.Number("14"),
	}
	for k, w := range want {
		if !reflect.DeepEqual(v[k], w) {
			t.Errorf("%s = %#v, want %#v", k, v[k], w)
		}
	}
	if !reflect.DeepEqual(v["session"], map[string]any{"user_id": json.Number("42")}) || !reflect.DeepEqual(v["types"], map[string]any{"user_id": "int"}) {
		t.Errorf("session %v types %v", v["session"], v["types"])
	}
	if !strings.Contains(v["error"].(string), "expired") {
		t.Errorf("error %v", v["error"])
	}
}

func TestDigestAndSalt(t *testing.T) {
	for _, d := range []string{"sha1", "sha256", "sha384", "sha512"} {
		out, _ := mustRun(t, exitOK, `{"a":1}`, "sign", "--secret", "k", "--digest", d, "--salt", "other-salt")
		cookie := strings.TrimSpace(out)
		mustRun(t, exitOK, "", "verify", "--secret", "k", "--digest", d, "--salt", "other-salt", cookie)
		mustRun(t, exitInvalid, "", "verify", "--secret", "k", "--digest", d, cookie)
		if d != "sha1" {
			mustRun(t, exitInvalid, "", "verify", "--secret", "k", "--salt", "other-salt", cookie)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no command", "", nil, "Usage:"},
		{"unknown command", "", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", "", []string{"decode", "--bogus", simpleCookie}, "flag provided but not defined: -bogus"},
		{"no cookie", "", []string{"decode", "--secret", "k"}, "want exactly one COOKIE argument, got 0"},
		{"two cookies", "", []string{"decode", "a", "b"}, "got 2"},
		{"negative max age", "", []string{"decode", "--max-age", "-1", simpleCookie}, "--max-age must not be negative"},
		{"bad number", "", []string{"decode", "--now", "soon", simpleCookie}, `invalid value "soon"`},
		{"empty secret", "", []string{"decode", "--secret", "", simpleCookie}, "empty key"},
		{"verify without key", "", []string{"verify", simpleCookie}, "verify needs a key"},
		{"sign without key", "{}", []string{"sign"}, "sign needs a key"},
		{"sign with argument", "{}", []string{"sign", "--secret", "k", "extra"}, "sign takes no arguments"},
		{"sign empty stdin", "", []string{"sign", "--secret", "k"}, "stdin is empty"},
		{"sign not JSON", "{", []string{"sign", "--secret", "k"}, "not valid JSON"},
		{"sign array", "[1]", []string{"sign", "--secret", "k"}, "want an object"},
		{"sign two objects", "{}{}", []string{"sign", "--secret", "k"}, "more than one JSON value"},
		{"sign bad typed", `{"a": {"$uuid": "nope"}}`, []string{"sign", "--typed", "--secret", "k"}, "stdin:"},
		{"sign typed not a dict", `{"$tuple": [1]}`, []string{"sign", "--typed", "--secret", "k"}, "not a dict"},
		{"unknown digest", "", []string{"decode", "--secret", "k", "--digest", "md5", simpleCookie}, "unknown --digest"},
		{"store without subcommand", "", []string{"store"}, "Commands:"},
		{"unknown store command", "", []string{"store", "frob"}, `unknown store command "frob"`},
		{"store without URL", "", []string{"store", "ls"}, "no store: give --store URL or set SESSIONCTL_STORE"},
		{"store bad scheme", "", []string{"store", "ls", "--store", "ftp://x"}, `unknown store URL scheme "ftp"`},
		{"store URL without scheme", "", []string{"store", "ls", "--store", "sessions.db"}, "has no scheme"},
		{"show without key", "", []string{"store", "show", "--store", "memory:"}, "want one KEY, got 0"},
		{"rm without key", "", []string{"store", "rm", "--store", "memory:"}, "want at least one KEY"},
		{"revoke without user", "", []string{"store", "revoke", "--store", "memory:"}, "revoke needs --user ID"},
		{"ls with argument", "", []string{"store", "ls", "--store", "memory:", "x"}, "takes no arguments"},
		{"bad batch", "", []string{"store", "purge-expired", "--store", "memory:", "--batch", "0"}, "--batch must be positive"},
		{"bad table", "", []string{"store", "ls", "--store", "sqlite:" + os.DevNull, "--table", "no-dashes"}, "table name"},
		{"cluster without nodes", "", []string{"store", "stats", "--store", "redis+cluster://"}, "want redis+cluster://"},
		{"cluster bad node", "", []string{"store", "stats", "--store", "redis+cluster://host-without-port"}, "want host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envSecret, "")
			t.Setenv(envStore, "")
			code, out, errs := cli(t, tt.stdin, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, exitUsage, out, errs)
			}
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errs)
			}
			if tt.args != nil && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestHelp: every command answers --help on stdout with exit 0, with its
// flags and examples; "help CMD" is the same.
func TestHelp(t *testing.T) {
	out, _ := mustRun(t, exitOK, "", "help")
	for _, w := range []string{"Exit status:", "0  success", "1  invalid cookie", "2  usage error", "3  store or I/O error", "SESSIONCTL_SECRET", "SESSIONCTL_STORE"} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	cmds := [][]string{{"decode"}, {"verify"}, {"inspect"}, {"sign"}, {"store"},
		{"store", "stats"}, {"store", "ls"}, {"store", "show"}, {"store", "rm"}, {"store", "revoke"}, {"store", "purge-expired"}}
	for _, c := range cmds {
		for _, h := range []string{"--help", "-h"} {
			out, errs := mustRun(t, exitOK, "", append(append([]string{}, c...), h)...)
			if errs != "" || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Exit status") {
				t.Errorf("%v %s: stdout %q stderr %q", c, h, out, errs)
			}
			if len(c) == 2 || c[0] != "store" {
				if !strings.Contains(out, "Examples:") || !strings.Contains(out, "-json") {
					t.Errorf("%v %s lacks examples or flags:\n%s", c, h, out)
				}
			}
		}
		viaHelp, _ := mustRun(t, exitOK, "", append([]string{"help"}, c...)...)
		direct, _ := mustRun(t, exitOK, "", append(append([]string{}, c...), "--help")...)
		if viaHelp != direct {
			t.Errorf("help %v differs from %v --help", c, c)
		}
	}
}
