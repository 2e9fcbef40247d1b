// Package otelsession reports what github.com/flaskgo/session does through
// OpenTelemetry: metrics (the same as the promsession module's) from a
// metric.MeterProvider, and spans from a trace.TracerProvider, one around
// each commit and each store call, the store calls of a commit nested in
// its span.
//
//	obs, err := otelsession.New() // the global providers; see the options
//	if err != nil { ... }
//	m, err := session.New(session.Config{SecretKey: key, Observer: obs})
//
// The spans are children of the span in the request's context (the one an
// HTTP server instrumentation such as otelhttp started), so put that
// middleware outside the session middleware.
//
// OpenTelemetry's semantic conventions have no names for a session layer,
// and its database conventions need a db.system.name the layer does not
// know (any Store may be behind it), so the attributes are this library's,
// under flaskgo.session.*, with error.type from the general conventions.
// README.md lists them. Every value comes from a short fixed set: no session
// id, user, path or error text is ever an attribute.
package otelsession

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flaskgo/session"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/flaskgo/session/otelsession"

// Attribute keys.
const (
	ModeKey    = attribute.Key("flaskgo.session.mode")    // signed_cookie, sealed_cookie, server_side
	EventKey   = attribute.Key("flaskgo.session.event")   // the event kind (created, rejected, ...)
	ReasonKey  = attribute.Key("flaskgo.session.reason")  // why a token was rejected or a commit failed
	OpKey      = attribute.Key("flaskgo.session.op")      // what a commit wrote, or the Store method called
	OutcomeKey = attribute.Key("flaskgo.session.outcome") // a store call's outcome: ok, not_found, conflict, timeout, error
	SizeKey    = attribute.Key("flaskgo.session.cookie.size")
	// ErrorTypeKey is the semantic conventions' error.type: the outcome of
	// a failed store call (timeout, error) or the reason of a failed commit.
	ErrorTypeKey = attribute.Key("error.type")
)

// Span names.
const (
	CommitSpan    = "session.commit"
	StoreSpanPref = "session.store." // + the Store method: session.store.load, ...
)

// DefaultDurationBounds are the duration histograms' buckets, in seconds:
// 100µs to 2.5s (the core's default StoreTimeout is 500ms).
var DefaultDurationBounds = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// DefaultCookieBounds are the cookie size histogram's buckets, in bytes,
// up to the 4096 bytes browsers keep.
var DefaultCookieBounds = []float64{128, 256, 512, 1024, 1536, 2048, 3072, 4096}

// Option changes what New uses.
type Option func(*config)

type config struct {
	mp      metric.MeterProvider
	tp      trace.TracerProvider
	noSpans bool
	attrs   []attribute.KeyValue
}

// WithMeterProvider sets where the metrics go; default otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithTracerProvider sets where the spans go; default otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithoutSpans makes an Observer that only measures.
func WithoutSpans() Option { return func(c *config) { c.noSpans = true } }

// WithAttributes adds fixed attributes to every measurement and span, such
// as the application's name when several Managers share a provider.
func WithAttributes(kv ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, kv...) }
}

// Observer is a session.Observer (and session.SpanObserver) that records
// OpenTelemetry metrics and spans. It is safe for concurrent use.
type Observer struct {
	events      metric.Int64Counter
	storeCalls  metric.Float64Histogram
	commits     metric.Float64Histogram
	loads       metric.Float64Histogram
	cookieSizes metric.Int64Histogram
	tracer      trace.Tracer // nil: WithoutSpans
	attrs       []attribute.KeyValue

	mu   sync.RWMutex
	sets map[labels]metric.MeasurementOption // attribute sets already built
}

type labels struct {
	mode, kind, reason, op, outcome string
}

// New creates the instruments. It fails when the MeterProvider refuses
// one.
func New(opts ...Option) (*Observer, error) {
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	meter := c.mp.Meter(ScopeName)
	o := &Observer{attrs: c.attrs, sets: map[labels]metric.MeasurementOption{}}
	if !c.noSpans {
		o.tracer = c.tp.Tracer(ScopeName)
	}
	var errs []error
	var err error
	o.events, err = meter.Int64Counter("flaskgo.session.events", metric.WithUnit("{event}"),
		metric.WithDescription("Session events by mode, kind, reason (rejected, commit_failed) and op (committed). Store calls are counted by flaskgo.session.store.duration."))
	errs = append(errs, err)
	o.storeCalls, err = meter.Float64Histogram("flaskgo.session.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to the session store, by Store method and outcome."),
		metric.WithExplicitBucketBoundaries(DefaultDurationBounds...))
	errs = append(errs, err)
	o.commits, err = meter.Float64Histogram("flaskgo.session.commit.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the commits that wrote something, by mode and what they wrote."),
		metric.WithExplicitBucketBoundaries(DefaultDurationBounds...))
	errs = append(errs, err)
	o.loads, err = meter.Float64Histogram("flaskgo.session.load.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of decoding (and, server-side, loading) an accepted incoming session, by mode."),
		metric.WithExplicitBucketBoundaries(DefaultDurationBounds...))
	errs = append(errs, err)
	o.cookieSizes, err = meter.Int64Histogram("flaskgo.session.cookie.size", metric.WithUnit("By"),
		metric.WithDescription("Size of the session cookies written (name and value), by mode."),
		metric.WithExplicitBucketBoundaries(DefaultCookieBounds...))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("otelsession: creating the session instruments: %w", err)
	}
	return o, nil
}

// SessionEvent records the metrics of e.
func (o *Observer) SessionEvent(ctx context.Context, e session.Event) {
	mode := ModeLabel(e.Mode)
	switch e.Kind {
	case session.EventStoreCall:
		o.storeCalls.Record(ctx, e.Duration.Seconds(), o.set(labels{op: e.Op, outcome: e.Outcome}))
		return
	case session.EventLoaded:
		o.loads.Record(ctx, e.Duration.Seconds(), o.set(labels{mode: mode}))
	case session.EventCommitted:
		o.commits.Record(ctx, e.Duration.Seconds(), o.set(labels{mode: mode, op: e.Op}))
		if e.Op == session.OpCookieWritten {
			o.cookieSizes.Record(ctx, int64(e.Size), o.set(labels{mode: mode}))
		}
	}
	o.events.Add(ctx, 1, o.set(labels{mode: mode, kind: string(e.Kind), reason: string(e.Reason), op: e.Op}))
}

// set returns the attribute set of l, built once.
func (o *Observer) set(l labels) metric.MeasurementOption {
	o.mu.RLock()
	s, ok := o.sets[l]
	o.mu.RUnlock()
	if ok {
		return s
	}
	kv := append([]attribute.KeyValue(nil), o.attrs...)
	for _, a := range []struct {
		k attribute.Key
		v string
	}{{ModeKey, l.mode}, {EventKey, l.kind}, {ReasonKey, l.reason}, {OpKey, l.op}, {OutcomeKey, l.outcome}} {
		if a.v != "" {
			kv = append(kv, a.k.String(a.v))
		}
	}
	s = metric.WithAttributeSet(attribute.NewSet(kv...))
	o.mu.Lock()
	o.sets[l] = s
	o.mu.Unlock()
	return s
}

// SpanStart starts the span of a commit or a store call.
func (o *Observer) SpanStart(ctx context.Context, kind session.EventKind, op string) context.Context {
	if o.tracer == nil {
		return ctx
	}
	name, sk := CommitSpan, trace.SpanKindInternal
	if kind == session.EventStoreCall {
		name, sk = StoreSpanPref+op, trace.SpanKindClient
	}
	ctx, _ = o.tracer.Start(ctx, name, trace.WithSpanKind(sk), trace.WithAttributes(o.attrs...))
	return ctx
}

// SpanEnd ends the span SpanStart started, with e's outcome.
func (o *Observer) SpanEnd(ctx context.Context, e session.Event) {
	if o.tracer == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	kv := make([]attribute.KeyValue, 0, 5)
	kv = append(kv, ModeKey.String(ModeLabel(e.Mode)))
	if e.Op != "" {
		kv = append(kv, OpKey.String(e.Op))
	}
	switch e.Kind {
	case session.EventStoreCall:
		kv = append(kv, OutcomeKey.String(e.Outcome))
		if e.Outcome == session.OutcomeTimeout || e.Outcome == session.OutcomeError {
			kv = append(kv, ErrorTypeKey.String(e.Outcome))
			span.SetStatus(codes.Error, e.Outcome)
		}
	case session.EventCommitFailed:
		kv = append(kv, ReasonKey.String(string(e.Reason)), ErrorTypeKey.String(string(e.Reason)))
		span.SetStatus(codes.Error, string(e.Reason))
	case session.EventCommitted:
		if e.Op == session.OpCookieWritten {
			kv = append(kv, SizeKey.Int(e.Size))
		}
	}
	span.SetAttributes(kv...)
	span.End()
}

// ModeLabel is the value of the mode attribute for m: signed_cookie,
// sealed_cookie or server_side (the promsession module's labels).
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

var _ session.SpanObserver = (*Observer)(nil)
