package redisstore

import (
	"errors"
	"strings"
	"testing"
)

// FuzzOwnerKey: for any key and any prefix, ownerKey either refuses with
// ErrInvalidKey or returns a distinct key that Redis Cluster hashes exactly
// like the session key, and distinct session keys get distinct owner keys.
func FuzzOwnerKey(f *testing.F) {
	for _, s := range []string{"session:abc", "", "{", "}", "{}", "a{b}c", "x{}{y}", "{{a}}", "a}b{c}"} {
		f.Add("flaskgo:", s, s+"x")
	}
	f.Fuzz(func(t *testing.T, prefix, key, other string) {
		ok, err := ownerKey(prefix, key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ownerKey(%q, %q) error %v does not wrap ErrInvalidKey", prefix, key, err)
			}
			if !strings.ContainsAny(prefix+key, "{}") && key != "" {
				t.Fatalf("ownerKey(%q, %q) refused a key without braces: %v", prefix, key, err)
			}
			return
		}
		if hashPart(ok) != hashPart(key) {
			t.Fatalf("ownerKey(%q, %q) = %q hashes %q, the key hashes %q", prefix, key, ok, hashPart(ok), hashPart(key))
		}
		if ok == key {
			t.Fatalf("ownerKey(%q, %q) is the key itself", prefix, key)
		}
		if ok2, err := ownerKey(prefix, other); err == nil && other != key && ok2 == ok {
			t.Fatalf("ownerKey(%q, …) maps %q and %q to %q", prefix, key, other, ok)
		}
	})
}
