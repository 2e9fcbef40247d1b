// Package bench holds side-by-side benchmarks of github.com/flaskgo/session
// against gorilla/sessions, alexedwards/scs and Flask's own cookie codec,
// plus the concurrent-update ("lost updates") comparison with scs.
//
// It is a separate module so that the library's go.mod never lists the
// libraries it is compared with. The benchmarks live in _test.go files; run
//
//	go test -run='^$' -bench=. -benchmem ./...
//
// from this directory (or `make bench` at the repository root). The load
// benchmark over real HTTP (wrk) is the command cmd/benchhttp
// (`make bench-http`). See README.md.
package bench
