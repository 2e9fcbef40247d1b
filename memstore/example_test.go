package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

func Example() {
	store := memstore.New(memstore.WithSweepInterval(time.Minute))
	defer store.Close() // stops the sweeper goroutine

	ctx := context.Background()
	err := store.Save(ctx, "session:abc", session.Record{
		Data:    []byte(`{"user":"alice"}`),
		Expires: time.Now().Add(30 * time.Minute),
		UserID:  "alice",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := store.Load(ctx, "session:abc")
	fmt.Println(string(rec.Data), err)

	// Two requests that loaded the same version: only the first write wins.
	rec.Data = []byte(`{"user":"alice","cart":[1]}`)
	_, err1 := store.SaveIfVersion(ctx, "session:abc", rec)
	_, err2 := store.SaveIfVersion(ctx, "session:abc", rec)
	fmt.Println(err1, errors.Is(err2, session.ErrConflict))

	// Log alice out everywhere.
	n, _ := store.DeleteUserSessions(ctx, "alice")
	_, err = store.Load(ctx, "session:abc")
	fmt.Println(n, errors.Is(err, session.ErrNotFound))
	// Output:
	// {"user":"alice"} <nil>
	// <nil> true
	// 1 true
}

func ExampleWithClock() {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	store := memstore.New(
		memstore.WithClock(func() time.Time { return now }),
		memstore.WithSweepInterval(0), // nothing else reads now
	)
	defer store.Close()

	ctx := context.Background()
	_ = store.Save(ctx, "k", session.Record{Data: []byte("x"), Expires: now.Add(time.Hour)})
	now = now.Add(2 * time.Hour)
	_, err := store.Load(ctx, "k")
	fmt.Println(errors.Is(err, session.ErrNotFound))
	// Output: true
}
