package otelsession_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/flaskgo/session/internal/obstest"
	"github.com/flaskgo/session/otelsession"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// setup returns an Observer on SDK providers with in-memory readers, and a
// middleware that starts a request span the way an HTTP instrumentation
// does.
func setup(t *testing.T, opts ...otelsession.Option) (*otelsession.Observer, *sdkmetric.ManualReader, *tracetest.SpanRecorder, func(http.Handler) http.Handler) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { mp.Shutdown(context.Background()); tp.Shutdown(context.Background()) })
	obs, err := otelsession.New(append([]otelsession.Option{otelsession.WithMeterProvider(mp), otelsession.WithTracerProvider(tp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	tracer := tp.Tracer("test")
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := tracer.Start(r.Context(), "GET /", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	return obs, reader, spans, wrap
}

func str(set attribute.Set, k attribute.Key) string {
	v, _ := set.Value(k)
	return v.AsString()
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelsession.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelsession.ScopeName)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func TestScriptedVisitMetrics(t *testing.T) {
	obs, reader, _, wrap := setup(t)
	obstest.Run(t, obs, wrap)
	ms := collect(t, reader)
	got := map[string]int{}
	events, ok := ms["flaskgo.session.events"].Data.(metricdata.Sum[int64])
	if !ok || !events.IsMonotonic {
		t.Fatalf("flaskgo.session.events: %T, want a monotonic Sum[int64]", ms["flaskgo.session.events"].Data)
	}
	for _, dp := range events.DataPoints {
		a := dp.Attributes
		got[obstest.Name(str(a, otelsession.ModeKey), str(a, otelsession.EventKey), str(a, otelsession.ReasonKey), str(a, otelsession.OpKey), "")] += int(dp.Value)
	}
	for _, dp := range ms["flaskgo.session.store.duration"].Data.(metricdata.Histogram[float64]).DataPoints {
		a := dp.Attributes
		got[obstest.Name("server_side", "store_call", "", str(a, otelsession.OpKey), str(a, otelsession.OutcomeKey))] += int(dp.Count)
	}
	if d := obstest.Diff(got); d != "" {
		t.Errorf("OTel counts differ from obstest.Want:\n%s", d)
	}
	var sizes uint64
	for _, dp := range ms["flaskgo.session.cookie.size"].Data.(metricdata.Histogram[int64]).DataPoints {
		if m := str(dp.Attributes, otelsession.ModeKey); m != "signed_cookie" {
			t.Errorf("cookie size with mode %q", m)
		}
		sizes += dp.Count
		if avg := dp.Sum / int64(dp.Count); avg < 64 || avg > 512 {
			t.Errorf("mean cookie size %d bytes, want 64..512", avg)
		}
	}
	if sizes != obstest.CookieSizes {
		t.Errorf("%d cookie sizes, want %d", sizes, obstest.CookieSizes)
	}
	for name, unit := range map[string]string{"flaskgo.session.events": "{event}", "flaskgo.session.store.duration": "s",
		"flaskgo.session.commit.duration": "s", "flaskgo.session.load.duration": "s", "flaskgo.session.cookie.size": "By"} {
		if ms[name].Unit != unit {
			t.Errorf("%s: unit %q, want %q", name, ms[name].Unit, unit)
		}
	}
}

// commitSpans is how many requests of the script commit: every one uses
// its session.
const commitSpans = 13

func TestScriptedVisitSpans(t *testing.T) {
	obs, _, rec, wrap := setup(t)
	obstest.Run(t, obs, wrap)
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byID[s.SpanContext().SpanID()] = s
	}
	if n := len(rec.Started()); n != len(rec.Ended()) {
		t.Errorf("%d spans started, %d ended", n, len(rec.Ended()))
	}
	got := map[string]int{}
	commits, failed := 0, 0
	for _, s := range rec.Ended() {
		a := attribute.NewSet(s.Attributes()...)
		parent := byID[s.Parent().SpanID()]
		switch {
		case s.Name() == otelsession.CommitSpan:
			commits++
			if parent == nil || parent.Name() != "GET /" {
				t.Errorf("commit span's parent is %v, want the request span", parent)
			}
			if op := str(a, otelsession.OpKey); op != "" {
				got[obstest.Name(str(a, otelsession.ModeKey), "committed", "", op, "")]++
			}
			if s.Status().Code == codes.Error {
				failed++
				if r := str(a, otelsession.ErrorTypeKey); r != "store_error" {
					t.Errorf("failed commit: error.type %q, want store_error", r)
				}
			}
			if s.SpanKind() != trace.SpanKindInternal {
				t.Errorf("commit span kind %v", s.SpanKind())
			}
		case strings.HasPrefix(s.Name(), otelsession.StoreSpanPref):
			op := str(a, otelsession.OpKey)
			if s.Name() != otelsession.StoreSpanPref+op {
				t.Errorf("store span %q has op %q", s.Name(), op)
			}
			got[obstest.Name("server_side", "store_call", "", op, str(a, otelsession.OutcomeKey))]++
			// A load opens the session, before any commit; every other
			// call of the script is made by a commit.
			want := otelsession.CommitSpan
			if op == "load" {
				want = "GET /"
			}
			if parent == nil || parent.Name() != want {
				t.Errorf("%s span's parent is %v, want %s", s.Name(), parent, want)
			}
			if s.SpanKind() != trace.SpanKindClient {
				t.Errorf("store span kind %v", s.SpanKind())
			}
			if (s.Status().Code == codes.Error) != (str(a, otelsession.OutcomeKey) == "error") {
				t.Errorf("%s: status %v with outcome %s", s.Name(), s.Status(), str(a, otelsession.OutcomeKey))
			}
		case s.Name() == "GET /":
		default:
			t.Errorf("unexpected span %q", s.Name())
		}
	}
	if commits != commitSpans || failed != 1 {
		t.Errorf("%d commit spans, %d failed; want %d and 1", commits, failed, commitSpans)
	}
	// The spans tell the same story as the metrics.
	for k, v := range obstest.Want {
		if (strings.Contains(k, "/committed/") || strings.Contains(k, "/store_call/")) && got[k] != v {
			t.Errorf("spans %s: %d, want %d", k, got[k], v)
		}
	}
	for k, v := range got {
		if obstest.Want[k] != v {
			t.Errorf("spans %s: %d, want %d", k, v, obstest.Want[k])
		}
	}
}

func TestWithoutSpansAndAttributes(t *testing.T) {
	obs, reader, rec, wrap := setup(t, otelsession.WithoutSpans(), otelsession.WithAttributes(attribute.String("app", "demo")))
	obstest.Run(t, obs, wrap)
	for _, s := range rec.Ended() {
		if s.Name() != "GET /" {
			t.Errorf("span %q with WithoutSpans", s.Name())
		}
	}
	ms := collect(t, reader)
	for _, dp := range ms["flaskgo.session.events"].Data.(metricdata.Sum[int64]).DataPoints {
		if str(dp.Attributes, "app") != "demo" {
			t.Fatalf("data point without app=demo: %v", dp.Attributes)
		}
	}
}
