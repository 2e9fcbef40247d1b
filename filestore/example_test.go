package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
)

func Example() {
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	store, err := filestore.New(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	_ = store.Save(ctx, "session:abc", session.Record{
		Data:    []byte(`{"user":"alice"}`),
		Expires: time.Now().Add(30 * time.Minute),
		UserID:  "alice",
	})
	rec, err := store.Load(ctx, "session:abc")
	fmt.Println(string(rec.Data), err)

	// Run this from a timer: nothing else removes expired files.
	n, err := store.DeleteExpired(ctx)
	fmt.Println(n, err)

	sessions, _ := store.UserSessions(ctx, "alice")
	fmt.Println(len(sessions), sessions[0].Key)

	_ = store.Delete(ctx, "session:abc")
	_, err = store.Load(ctx, "session:abc")
	fmt.Println(errors.Is(err, session.ErrNotFound))
	// Output:
	// {"user":"alice"} <nil>
	// 0 <nil>
	// 1 session:abc
	// true
}
