package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/flaskgo/session"
)

// BenchmarkStore measures the store's own operations on a session of typical
// size (512 bytes): Load, Save (anonymous and owned by a user), and
// SaveIfVersion and Touch when the store has them. newStore may return the
// same store every time; keys are random.
func BenchmarkStore(b *testing.B, newStore func(b *testing.B) session.Store) {
	data := make([]byte, 512)
	prefix := keyPrefix + "bench:" + randHex(b) + ":"
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	record := func(user string) session.Record {
		return session.Record{Data: data, Expires: time.Now().Add(time.Hour), UserID: user}
	}
	ctx := context.Background()
	setup := func(b *testing.B) session.Store {
		st := newStore(b)
		for _, k := range keys {
			if err := st.Save(ctx, k, record("")); err != nil {
				b.Fatal(err)
			}
		}
		b.Cleanup(func() {
			for _, k := range keys {
				st.Delete(ctx, k)
			}
		})
		b.ReportAllocs()
		b.ResetTimer()
		return st
	}

	b.Run("Load", func(b *testing.B) {
		st := setup(b)
		for i := 0; i < b.N; i++ {
			if _, err := st.Load(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, user := range []string{"", "bench-user"} {
		name := "Save"
		if user != "" {
			name = "SaveWithUser"
		}
		b.Run(name, func(b *testing.B) {
			st := setup(b)
			rec := record(user)
			for i := 0; i < b.N; i++ {
				if err := st.Save(ctx, keys[i%len(keys)], rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("SaveIfVersion", func(b *testing.B) {
		st := setup(b)
		u, ok := st.(session.Updater)
		if !ok {
			b.Skip("store does not implement session.Updater")
		}
		cur, err := st.Load(ctx, keys[0])
		if err != nil {
			b.Fatal(err)
		}
		rec := record("")
		rec.Version = cur.Version
		for i := 0; i < b.N; i++ {
			if rec.Version, err = u.SaveIfVersion(ctx, keys[0], rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Touch", func(b *testing.B) {
		st := setup(b)
		t, ok := st.(session.Toucher)
		if !ok {
			b.Skip("store does not implement session.Toucher")
		}
		exp := time.Now().Add(time.Hour)
		for i := 0; i < b.N; i++ {
			if err := t.Touch(ctx, keys[i%len(keys)], exp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func randHex(tb testing.TB) string {
	var buf [8]byte
	if _, err := rand.Read(buf[:]); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(buf[:])
}
