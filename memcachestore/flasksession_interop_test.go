package memcachestore

// Live interop with Debian's Flask-Session 0.3.2 (SESSION_TYPE="memcached"
// with a pymemcache client, pickled values) through a real memcached: the
// scenario of internal/fsinterop with unsigned and signed ids, under a key
// prefix and under none. Needs /usr/bin/python3 with python3-flask-session
// and python3-pymemcache.

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/flaskgo/session/internal/fsinterop"
)

func TestFlaskSessionInterop(t *testing.T) {
	for _, signed := range []bool{false, true} {
		for _, prefix := range []string{"session:", ""} { // keys: prefix + a fresh random id
			t.Run(fmt.Sprintf("signed=%v/prefix=%q", signed, prefix), func(t *testing.T) {
				t.Parallel()
				c, _ := newClient(t)
				var written []string
				t.Cleanup(func() {
					for _, k := range written {
						_ = c.Delete(k)
					}
				})
				fsinterop.Start(t, fsinterop.Backend{
					PeerArgs: []string{"--type", "memcached", "--memcached", memcachedAddr()},
					Imports:  []string{"pymemcache"},
					Store:    New(c),
					Raw: func(t *testing.T, key string) ([]byte, bool) {
						written = append(written, key)
						it, err := c.Get(key)
						if errors.Is(err, memcache.ErrCacheMiss) {
							return nil, false
						}
						if err != nil {
							t.Fatalf("get %s: %v", key, err)
						}
						return it.Value, true
					},
				}, fsinterop.Options{Signed: signed, Prefix: prefix}).Run(t)
			})
		}
	}
}
