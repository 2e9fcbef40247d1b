package memcachestore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memcachestore"
)

func Example() {
	addr := os.Getenv("MEMCACHED_ADDR")
	if addr == "" {
		addr = "127.0.0.1:11211"
	}
	client := memcache.New(addr)
	defer client.Close()

	// A prefix of our own keeps this example away from other data.
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "example-" + hex.EncodeToString(b) + ":"
	store := memcachestore.New(client, memcachestore.WithKeyPrefix(prefix))
	ctx := context.Background()

	rec := session.Record{Data: []byte(`{"cart":[1,2]}`), Expires: time.Now().Add(time.Hour)}
	if err := store.Save(ctx, "session:abc", rec); err != nil {
		fmt.Println(err)
		return
	}
	// The item is the plain data, as Flask-Session writes it.
	item, _ := client.Get(prefix + "session:abc")
	fmt.Printf("raw value: %s (flags %d)\n", item.Value, item.Flags)

	// Two requests loaded the same version (CAS id); the second write loses.
	loaded, _ := store.Load(ctx, "session:abc")
	first, second := loaded, loaded
	first.Data, first.Expires = []byte(`{"cart":[1,2,3]}`), rec.Expires
	second.Data, second.Expires = []byte(`{"cart":[]}`), rec.Expires
	_, err := store.SaveIfVersion(ctx, "session:abc", first)
	fmt.Println("first write:", err)
	_, err = store.SaveIfVersion(ctx, "session:abc", second)
	fmt.Println("second write conflicts:", errors.Is(err, session.ErrConflict))

	store.Delete(ctx, "session:abc")
	_, err = store.Load(ctx, "session:abc")
	fmt.Println("after delete:", errors.Is(err, session.ErrNotFound))
	// Output:
	// raw value: {"cart":[1,2]} (flags 0)
	// first write: <nil>
	// second write conflicts: true
	// after delete: true
}
