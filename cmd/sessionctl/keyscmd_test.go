package main

import (
	"crypto/sha1"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flaskgo/session/signer"
)

// keysSample signs cookies with the current key "new", the fallback "old"
// and a key sessionctl is not given, at times around now.
type keysSample struct {
	t   *testing.T
	now time.Time
}

func (k keysSample) cookie(key, payload string, at time.Time) string {
	k.t.Helper()
	sg, err := signer.New(signer.Config{Keys: [][]byte{[]byte(key)}, Salt: "cookie-session", Digest: sha1.New})
	if err != nil {
		k.t.Fatal(err)
	}
	return sg.Encode([]byte(payload), at)
}

type keysJSON struct {
	Cookies int `json:"cookies"`
	Keys    []struct {
		Index       int    `json:"index"`
		Key         string `json:"key"`
		Fingerprint string `json:"fingerprint"`
		Valid       int    `json:"valid"`
		Expired     int    `json:"expired"`
		Future      int    `json:"future"`
	} `json:"keys"`
	Valid         int    `json:"valid"`
	Expired       int    `json:"expired"`
	Future        int    `json:"future"`
	Unverified    int    `json:"unverified"`
	Malformed     int    `json:"malformed"`
	MaxAgeSeconds int64  `json:"max_age_seconds"`
	Now           string `json:"now"`
}

func TestKeys(t *testing.T) {
	now := time.Unix(1700000000, 0)
	k := keysSample{t, now}
	cur := k.cookie("new", `{"user_id":1}`, now.Add(-time.Minute))
	fb := k.cookie("old", `{"user_id":2}`, now.Add(-time.Hour))
	fbOld := k.cookie("old", `{"user_id":3}`, now.Add(-40*24*time.Hour))
	fut := k.cookie("new", `{"user_id":4}`, now.Add(time.Hour))
	other := k.cookie("stranger", `{"user_id":5}`, now)
	notSession := k.cookie("new", `[1,2]`, now)
	nowArgs := []string{"--now", "1700000000", "--secret", "new", "--secret", "old"}

	tests := []struct {
		name   string
		sample string
		code   int
		want   func(r *keysJSON) // fills in the expected counts
	}{
		{"raw values, both keys", cur + "\n" + fb + "\n", exitOK, func(r *keysJSON) {
			r.Cookies, r.Valid = 2, 2
			r.Keys[0].Valid, r.Keys[1].Valid = 1, 1
		}},
		{"session= and Cookie headers, CRLF, blank lines", "session=" + cur + "\r\n\r\n  \nCookie: a=1; session=\"" + fb + "\"; b=2\n" + "session=" + cur + ";\n", exitOK, func(r *keysJSON) {
			r.Cookies, r.Valid = 3, 3
			r.Keys[0].Valid, r.Keys[1].Valid = 2, 1
		}},
		{"every class", strings.Join([]string{cur, fb, fbOld, fut, other, notSession, "garbage", "Cookie: a=1; b=2", "session=", strings.Repeat("x", maxSampleLine+10)}, "\n"), exitInvalid, func(r *keysJSON) {
			r.Cookies, r.Valid, r.Expired, r.Future, r.Unverified, r.Malformed = 10, 2, 1, 1, 1, 5
			r.Keys[0].Valid, r.Keys[0].Future = 1, 1
			r.Keys[1].Valid, r.Keys[1].Expired = 1, 1
		}},
		{"empty sample", "\n\n", exitOK, func(r *keysJSON) {}},
		{"no final newline", cur, exitOK, func(r *keysJSON) {
			r.Cookies, r.Valid, r.Keys[0].Valid = 1, 1, 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := mustRun(t, tt.code, tt.sample, append([]string{"keys", "--json"}, nowArgs...)...)
			var got keysJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := keysJSON{MaxAgeSeconds: defaultMaxAge, Now: "2023-11-14T22:13:20Z"}
			want.Keys = make([]struct {
				Index       int    `json:"index"`
				Key         string `json:"key"`
				Fingerprint string `json:"fingerprint"`
				Valid       int    `json:"valid"`
				Expired     int    `json:"expired"`
				Future      int    `json:"future"`
			}, 2)
			want.Keys[0].Index, want.Keys[0].Key, want.Keys[0].Fingerprint = 0, "current", fingerprint([]byte("new"))
			want.Keys[1].Index, want.Keys[1].Key, want.Keys[1].Fingerprint = 1, "fallback 1", fingerprint([]byte("old"))
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("keys --json\n got %+v\nwant %+v", got, want)
			}
			if strings.Contains(out, `"new"`) || strings.Contains(out, `"old"`) {
				t.Errorf("a key is printed: %s", out)
			}
		})
	}
}

// TestKeysText: the human report, the retirement hint, files, and the key
// sources of the cookie commands.
func TestKeysText(t *testing.T) {
	now := time.Unix(1700000000, 0)
	k := keysSample{t, now}
	cur := k.cookie("new-SECRET-1", `{"a":1}`, now)
	dir := t.TempDir()
	sample := filepath.Join(dir, "cookies.txt")
	if err := os.WriteFile(sample, []byte(cur+"\nsession="+cur+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keyFile, []byte("new-SECRET-1\nold-SECRET-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := mustRun(t, exitOK, "", "keys", "--now", "1700000000", "--secret-file", keyFile, sample)
	for _, w := range []string{
		"cookies: 2\n",
		"0 (current)     " + fingerprint([]byte("new-SECRET-1")) + "  2      100.0%  0        0\n",
		"1 (fallback 1)  " + fingerprint([]byte("old-SECRET-2")) + "  0      0.0%    0        0\n",
		"valid:       2  (100.0%)\n",
		"unverified:  0  (0.0%, no key verifies them)\n",
		"fallback 1 verifies no valid cookie of this sample",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("keys output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("a key is printed:\n%s", out)
	}
	// "-" is stdin; SESSIONCTL_SECRET is the key when no flag is given.
	t.Setenv(envSecret, "new-SECRET-1")
	mustRun(t, exitOK, cur+"\n", "keys", "--now", "1700000000", "-")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no key", []string{"keys", sample}, exitUsage, ""},
		{"missing file", []string{"keys", "--secret", "new", filepath.Join(dir, "nope")}, exitStore, "no such file"},
		{"two files", []string{"keys", "--secret", "new", sample, sample}, exitUsage, "at most one FILE"},
		{"negative max age", []string{"keys", "--secret", "new", "--max-age", "-1", sample}, exitUsage, "--max-age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "no key" {
				t.Setenv(envSecret, "")
			}
			_, errs := mustRun(t, tt.code, "", tt.args...)
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr %q lacks %q", errs, tt.want)
			}
		})
	}
	help, _ := mustRun(t, exitOK, "", "keys", "--help")
	if !strings.Contains(help, "Usage:\n  sessionctl keys ") || !strings.Contains(help, "--secret-file PATH") {
		t.Errorf("help:\n%s", help)
	}
}

func TestSampleCookie(t *testing.T) {
	tests := []struct {
		line, token string
		ok          bool
	}{
		{"", "", true},
		{"   ", "", true},
		{"abc.def.ghi", "abc.def.ghi", true},
		{"session=abc.def.ghi", "abc.def.ghi", true},
		{"session=abc.def.ghi;", "abc.def.ghi", true},
		{"Cookie: x=1; session=\"abc.d.g\"", "abc.d.g", true},
		{"cookie:session=a.b.c", "a.b.c", true},
		{"other=a.b.c", "", false},
		{"session=", "", false},
	}
	for _, tt := range tests {
		token, ok := sampleCookie(tt.line, "session")
		if token != tt.token || ok != tt.ok {
			t.Errorf("sampleCookie(%q) = %q, %v; want %q, %v", tt.line, token, ok, tt.token, tt.ok)
		}
	}
}
