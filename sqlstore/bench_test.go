package sqlstore_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
	"github.com/flaskgo/session/storetest"
)

// mysqlInterpolated is MySQL with client-side parameter interpolation, which
// saves the prepare and close round trips the driver makes otherwise.
var mysqlInterpolated = &backend{name: "mysql-interpolate", dialect: sqlstore.MySQL, driver: "mysql", dsns: func() []string {
	var out []string
	for _, dsn := range mysqlBackend.dsns() {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		out = append(out, dsn+sep+"interpolateParams=true")
	}
	return out
}}

func benchBackends(b *testing.B, f func(b *testing.B, st *sqlstore.Store)) {
	for _, be := range []*backend{pgBackend, mysqlBackend, mysqlInterpolated, sqliteBackend} {
		be := be
		b.Run(be.name, func(b *testing.B) {
			st, _ := be.newStore(b)
			f(b, st)
		})
	}
}

// benchRecord is a typical session: 1 KiB of data, owned by a user.
func benchRecord(b *testing.B) session.Record {
	data := make([]byte, 1024)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	return session.Record{Data: data, Expires: time.Now().Add(time.Hour), UserID: "bench-user"}
}

func BenchmarkLoad(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		ctx := context.Background()
		if err := st.Save(ctx, "bench", benchRecord(b)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := st.Load(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSave(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		ctx := context.Background()
		rec := benchRecord(b)
		keys := make([]string, 100)
		for i := range keys {
			keys[i] = "bench:" + strconv.Itoa(i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := st.Save(ctx, keys[i%len(keys)], rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSaveIfVersion(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		ctx := context.Background()
		rec := benchRecord(b)
		v, err := st.SaveIfVersion(ctx, "bench", rec)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rec.Version = v
			if v, err = st.SaveIfVersion(ctx, "bench", rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMiddleware runs whole requests through the session middleware on
// each database (storetest.BenchmarkMiddleware reports store calls per request).
func BenchmarkMiddleware(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		storetest.BenchmarkMiddleware(b, func(*testing.B) session.Store { return st })
	})
}
