package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flaskgo/session/internal/vectors"
)

// cli runs the program with args and stdin and returns what it did.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun runs the program and fails the test unless it exits with want.
func mustRun(t *testing.T, want int, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errs := cli(t, stdin, args...)
	if code != want {
		t.Fatalf("sessionctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
	}
	return out, errs
}

// jsonValue parses JSON text with numbers kept as text, so that two
// documents compare exactly with reflect.DeepEqual.
func jsonValue(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", s)
	}
	return v
}

// normalize turns a value into what jsonValue would make of its JSON.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return jsonValue(t, string(b))
}

func loadVectors(t testing.TB) *vectors.CookieVectors {
	t.Helper()
	v, err := vectors.Load(filepath.Join("..", "..", "testdata", "flask-cookies.json"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func keyArgs(secret string, fallbacks []string) []string {
	args := []string{"--secret", secret}
	for _, k := range fallbacks {
		args = append(args, "--secret", k)
	}
	return args
}

// TestDecodeTypedEqualsVectors: decode --typed of every positive vector
// prints exactly the session Flask read back.
func TestDecodeTypedEqualsVectors(t *testing.T) {
	for _, p := range loadVectors(t).Positive {
		t.Run(p.Name, func(t *testing.T) {
			args := append([]string{"decode", "--typed"}, keyArgs(p.SecretKey, p.FallbackKeys)...)
			args = append(args, "--now", fmt.Sprint(p.VerifyNow), "--max-age", fmt.Sprint(p.MaxAge), p.Cookie)
			out, errs := mustRun(t, exitOK, "", args...)
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Errorf("want one line of JSON, got %q", out)
			}
			got, want := jsonValue(t, out), normalize(t, p.Decoded)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decode --typed:\n got %s\nwant %s", out, mustJSON(t, p.Decoded))
			}
		})
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSignReproducesVectors: sign --typed of every positive "both" vector
// that does not need C zlib's exact bytes prints exactly Flask's cookie;
// the others still decode back to the same session.
func TestSignReproducesVectors(t *testing.T) {
	n := 0
	for _, p := range loadVectors(t).Positive {
		if p.Direction != "both" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			keys := keyArgs(p.SecretKey, p.FallbackKeys)
			args := append(append([]string{"sign", "--typed"}, keys...), "--timestamp", fmt.Sprint(p.Timestamp))
			out, _ := mustRun(t, exitOK, mustJSON(t, p.Session), args...)
			if !p.HasTag("zlib-exact") {
				n++
				if out != p.Cookie+"\n" {
					t.Fatalf("sign --typed:\n got %q\nwant %q", out, p.Cookie+"\n")
				}
				return
			}
			// Go's deflate differs from C zlib: the bytes may differ, the
			// session may not.
			cookie := strings.TrimSuffix(out, "\n")
			dargs := append(append([]string{"decode", "--typed"}, keys...), "--now", fmt.Sprint(p.Timestamp), cookie)
			dec, _ := mustRun(t, exitOK, "", dargs...)
			if got, want := jsonValue(t, dec), normalize(t, p.Decoded); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %s\nwant %s", dec, mustJSON(t, p.Decoded))
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d byte-exact vectors checked", n)
	}
}

// TestNegativeVectorsAreRejected: every negative vector fails decode and
// verify with exit 1, a reason on stderr and nothing on stdout.
func TestNegativeVectorsAreRejected(t *testing.T) {
	for _, nv := range loadVectors(t).Negative {
		t.Run(nv.Name, func(t *testing.T) {
			for _, cmd := range []string{"decode", "verify"} {
				args := append([]string{cmd}, keyArgs(nv.SecretKey, nv.FallbackKeys)...)
				args = append(args, "--now", fmt.Sprint(nv.VerifyNow), "--max-age", fmt.Sprint(nv.MaxAge), "--", nv.Cookie)
				out, errs := mustRun(t, exitInvalid, "", args...)
				if out != "" {
					t.Errorf("%s: stdout %q, want nothing", cmd, out)
				}
				if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "invalid") {
					t.Errorf("%s: want one line with the reason on stderr, got %q", cmd, errs)
				}
			}
		})
	}
}

// TestVerifyPositiveVectors: verify accepts every positive vector and
// names the key that signed it.
func TestVerifyPositiveVectors(t *testing.T) {
	for _, p := range loadVectors(t).Positive {
		args := append([]string{"verify"}, keyArgs(p.SecretKey, p.FallbackKeys)...)
		args = append(args, "--now", fmt.Sprint(p.VerifyNow), "--max-age", fmt.Sprint(p.MaxAge), p.Cookie)
		out, errs := mustRun(t, exitOK, "", args...)
		if out != "" || !strings.HasPrefix(errs, "valid: ") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: stdout %q stderr %q", p.Name, out, errs)
		}
		wantKey := "key 0 (current)"
		if p.SigningKey != "" && p.SigningKey != p.SecretKey {
			for i, k := range p.FallbackKeys {
				if k == p.SigningKey {
					wantKey = fmt.Sprintf("key %d (fallback %d)", i+1, i+1)
				}
			}
		}
		if !strings.Contains(errs, wantKey) {
			t.Errorf("%s: %q does not name %q", p.Name, errs, wantKey)
		}
	}
}

// TestVerifyKeyOrderDoesNotMatter: a cookie signed by an old key verifies
// whatever the position of that key among the given ones.
func TestVerifyKeyOrderDoesNotMatter(t *testing.T) {
	cookie, _ := mustRun(t, exitOK, `{"a":1}`, "sign", "--secret", "old", "--timestamp", "1700000000")
	cookie = strings.TrimSpace(cookie)
	for _, keys := range [][]string{{"old"}, {"new", "old"}, {"new", "older", "old"}, {"old", "new"}} {
		args := []string{"verify", "--now", "1700000001"}
		for _, k := range keys {
			args = append(args, "--secret", k)
		}
		mustRun(t, exitOK, "", append(args, cookie)...)
	}
	mustRun(t, exitInvalid, "", "verify", "--now", "1700000001", "--secret", "new", "--secret", "newer", cookie)
}
