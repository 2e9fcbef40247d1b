package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/redis/go-redis/v9"
)

func Example() {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()

	// A prefix of our own keeps this example away from other data.
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "example-" + hex.EncodeToString(b) + ":"
	store := redisstore.New(client, redisstore.WithKeyPrefix(prefix), redisstore.WithUserIndexPrefix(prefix))
	ctx := context.Background()

	rec := session.Record{Data: []byte(`{"cart":[1,2]}`), Expires: time.Now().Add(time.Hour), UserID: "alice"}
	if err := store.Save(ctx, "session:laptop", rec); err != nil {
		fmt.Println(err)
		return
	}
	store.Save(ctx, "session:phone", rec)

	// The stored value is the plain data, as Flask-Session writes it.
	raw, _ := client.Get(ctx, prefix+"session:laptop").Result()
	fmt.Println("raw value:", raw)

	loaded, _ := store.Load(ctx, "session:laptop")
	fmt.Println("owner:", loaded.UserID)

	// Two requests loaded the same version; the second write loses.
	first := loaded
	first.Data = []byte(`{"cart":[1,2,3]}`)
	_, err := store.SaveIfVersion(ctx, "session:laptop", first)
	fmt.Println("first write:", err)
	second := loaded
	second.Data = []byte(`{"cart":[]}`)
	_, err = store.SaveIfVersion(ctx, "session:laptop", second)
	fmt.Println("second write conflicts:", errors.Is(err, session.ErrConflict))

	sessions, _ := store.UserSessions(ctx, "alice")
	fmt.Println("alice's sessions:", len(sessions))
	n, _ := store.DeleteUserSessions(ctx, "alice", "session:laptop")
	fmt.Println("logged out elsewhere:", n)
	store.DeleteUserSessions(ctx, "alice") // clean up
	// Output:
	// raw value: {"cart":[1,2]}
	// owner: alice
	// first write: <nil>
	// second write conflicts: true
	// alice's sessions: 2
	// logged out elsewhere: 1
}

// With Redis Cluster, pass a ClusterClient; Sentinel works the same way
// through redis.NewFailoverClient or redis.NewUniversalClient.
func ExampleNew_cluster() {
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"},
	})
	defer client.Close()
	store := redisstore.New(client)
	_ = store
}
