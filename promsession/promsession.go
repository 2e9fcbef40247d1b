// Package promsession reports what github.com/flaskgo/session does as
// Prometheus metrics: an Observer for session.Config.Observer that counts
// events by kind and reason, and measures store calls, commits, loads and
// cookie sizes.
//
//	obs, err := promsession.New(prometheus.DefaultRegisterer)
//	if err != nil { ... }
//	m, err := session.New(session.Config{SecretKey: key, Observer: obs})
//
// The metric names and labels are stable; README.md lists them. Every
// label takes its values from a short fixed set (the core's kinds, reasons,
// ops, outcomes and modes): no session id, user, path or error text ever
// becomes a label.
package promsession

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flaskgo/session"
	"github.com/prometheus/client_golang/prometheus"
)

// Default buckets.
var (
	// DefaultStoreBuckets suit a store call: 100µs to 2.5s (the core's
	// default StoreTimeout is 500ms).
	DefaultStoreBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	// DefaultCookieBuckets are bytes, up to the 4096 bytes browsers keep.
	DefaultCookieBuckets = []float64{128, 256, 512, 1024, 1536, 2048, 3072, 4096}
)

// Option changes what New registers.
type Option func(*options)

type options struct {
	namespace     string
	constLabels   prometheus.Labels
	storeBuckets  []float64
	cookieBuckets []float64
}

// WithNamespace replaces the metric names' first part, "flaskgo"
// (flaskgo_session_...); "" leaves it out (session_...).
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithConstLabels adds labels with fixed values to every metric, such as
// the application's name when several Managers share a registry.
func WithConstLabels(l prometheus.Labels) Option { return func(o *options) { o.constLabels = l } }

// WithStoreBuckets sets the buckets, in seconds, of the store call, commit
// and load duration histograms.
func WithStoreBuckets(b []float64) Option { return func(o *options) { o.storeBuckets = b } }

// WithCookieBuckets sets the buckets, in bytes, of the cookie size
// histogram.
func WithCookieBuckets(b []float64) Option { return func(o *options) { o.cookieBuckets = b } }

// Observer is a session.Observer that updates Prometheus metrics. It is
// safe for concurrent use; an event costs a map look-up under a read lock
// and one atomic update.
type Observer struct {
	events      *prometheus.CounterVec
	storeCalls  *prometheus.HistogramVec
	commits     *prometheus.HistogramVec
	loads       *prometheus.HistogramVec
	cookieSizes *prometheus.HistogramVec

	mu     sync.RWMutex
	cached map[labels]prometheus.Observer // series already looked up, by metric and labels
	counts map[labels]prometheus.Counter
}

// labels names one series: metric says which vector, the rest its label
// values.
type labels struct {
	metric                 uint8
	mode, kind, reason, op string
	outcome                string
}

const (
	mEvents = iota
	mStoreCalls
	mCommits
	mLoads
	mCookieSizes
)

// New creates the metrics and registers them on reg. It fails, registering
// nothing, when reg refuses one of them: a prometheus.AlreadyRegisteredError
// (find it with errors.As) when another Observer with the same namespace and
// const labels is already there.
func New(reg prometheus.Registerer, opts ...Option) (*Observer, error) {
	if reg == nil {
		return nil, errors.New("promsession: nil Registerer")
	}
	o := options{namespace: "flaskgo", storeBuckets: DefaultStoreBuckets, cookieBuckets: DefaultCookieBuckets}
	for _, opt := range opts {
		opt(&o)
	}
	ob := &Observer{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: o.namespace, Subsystem: "session", Name: "events_total", ConstLabels: o.constLabels,
			Help: "Session events by mode, kind, reason (rejected, commit_failed) and op (committed). Store calls are counted in store_call_duration_seconds.",
		}, []string{"mode", "kind", "reason", "op"}),
		storeCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.namespace, Subsystem: "session", Name: "store_call_duration_seconds", ConstLabels: o.constLabels,
			Help:    "Duration of calls to the session store, by Store method and outcome.",
			Buckets: o.storeBuckets,
		}, []string{"op", "outcome"}),
		commits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.namespace, Subsystem: "session", Name: "commit_duration_seconds", ConstLabels: o.constLabels,
			Help:    "Duration of the commits that wrote something, by mode and what they wrote.",
			Buckets: o.storeBuckets,
		}, []string{"mode", "op"}),
		loads: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.namespace, Subsystem: "session", Name: "load_duration_seconds", ConstLabels: o.constLabels,
			Help:    "Duration of decoding (and, server-side, loading) an accepted incoming session, by mode.",
			Buckets: o.storeBuckets,
		}, []string{"mode"}),
		cookieSizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.namespace, Subsystem: "session", Name: "cookie_size_bytes", ConstLabels: o.constLabels,
			Help:    "Size of the session cookies written (name and value), by mode.",
			Buckets: o.cookieBuckets,
		}, []string{"mode"}),
		cached: map[labels]prometheus.Observer{},
		counts: map[labels]prometheus.Counter{},
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{ob.events, ob.storeCalls, ob.commits, ob.loads, ob.cookieSizes} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, fmt.Errorf("promsession: registering the session metrics: %w", err)
		}
		done = append(done, c)
	}
	return ob, nil
}

// SessionEvent updates the metrics for e.
func (o *Observer) SessionEvent(_ context.Context, e session.Event) {
	mode := ModeLabel(e.Mode)
	switch e.Kind {
	case session.EventStoreCall:
		o.observe(labels{metric: mStoreCalls, op: e.Op, outcome: e.Outcome}, e.Duration.Seconds())
		return
	case session.EventLoaded:
		o.observe(labels{metric: mLoads, mode: mode}, e.Duration.Seconds())
	case session.EventCommitted:
		o.observe(labels{metric: mCommits, mode: mode, op: e.Op}, e.Duration.Seconds())
		if e.Op == session.OpCookieWritten {
			o.observe(labels{metric: mCookieSizes, mode: mode}, float64(e.Size))
		}
	}
	o.count(labels{metric: mEvents, mode: mode, kind: string(e.Kind), reason: string(e.Reason), op: e.Op})
}

// count adds one to the events_total series l.
func (o *Observer) count(l labels) {
	o.mu.RLock()
	c, ok := o.counts[l]
	o.mu.RUnlock()
	if !ok {
		c = o.events.WithLabelValues(l.mode, l.kind, l.reason, l.op)
		o.mu.Lock()
		o.counts[l] = c
		o.mu.Unlock()
	}
	c.Inc()
}

// observe adds v to the histogram series l.
func (o *Observer) observe(l labels, v float64) {
	o.mu.RLock()
	h, ok := o.cached[l]
	o.mu.RUnlock()
	if !ok {
		switch l.metric {
		case mStoreCalls:
			h = o.storeCalls.WithLabelValues(l.op, l.outcome)
		case mCommits:
			h = o.commits.WithLabelValues(l.mode, l.op)
		case mLoads:
			h = o.loads.WithLabelValues(l.mode)
		case mCookieSizes:
			h = o.cookieSizes.WithLabelValues(l.mode)
		}
		o.mu.Lock()
		o.cached[l] = h
		o.mu.Unlock()
	}
	h.Observe(v)
}

// ModeLabel is the value of the mode label for m: signed_cookie,
// sealed_cookie or server_side.
func ModeLabel(m session.Mode) string {
	switch m {
	case session.SignedCookie:
		return "signed_cookie"
	case session.SealedCookie:
		return "sealed_cookie"
	case session.ServerSide:
		return "server_side"
	}
	return "unknown"
}
