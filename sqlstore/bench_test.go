package sqlstore_test

import (
	"strings"
	"testing"

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

// BenchmarkStore measures Load, Save, SaveIfVersion and Touch on each
// database.
func BenchmarkStore(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		storetest.BenchmarkStore(b, func(*testing.B) session.Store { return st })
	})
}

// BenchmarkMiddleware runs whole requests through the session middleware on
// each database (storetest.BenchmarkMiddleware reports store calls per request).
func BenchmarkMiddleware(b *testing.B) {
	benchBackends(b, func(b *testing.B, st *sqlstore.Store) {
		storetest.BenchmarkMiddleware(b, func(*testing.B) session.Store { return st })
	})
}
