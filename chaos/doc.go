// Package chaos is the fault harness of the session library: its tests
// start private instances of every server-side store (Redis, Redis Cluster,
// Redis Sentinel, PostgreSQL, MariaDB, memcached, and filestore on a tiny
// tmpfs), run a load of many sessions through the real middleware, and
// during it kill, pause, fail over or fill the store. Each scenario prints
// what the fault cost (requests failed by status, p99 latencies, time to
// recover, sessions lost or corrupted, goroutines and heap) and fails when a
// durably acknowledged write is lost, a session is corrupted, the service
// does not recover in time, or goroutines leak.
//
// The package has no API; it is run as
//
//	go test ./chaos            (short form: every fault once per store)
//	CHAOS_LONG=1 go test -timeout 60m ./chaos   (long form: longer faults and soaks)
//
// See docs/reliability.md for the figures and what to configure.
package chaos
