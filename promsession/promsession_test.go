package promsession_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flaskgo/session/internal/obstest"
	"github.com/flaskgo/session/promsession"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches reg's metrics over HTTP in the text format and parses
// them, as a Prometheus server would.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); expfmt.ResponseFormat(resp.Header).FormatType() != expfmt.TypeTextPlain {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// counts reads the scraped families into obstest.Name keys: events_total
// by mode, kind, reason and op; store calls from the histogram's count.
func counts(t *testing.T, fams map[string]*dto.MetricFamily) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range fams["flaskgo_session_events_total"].GetMetric() {
		got[obstest.Name(label(m, "mode"), label(m, "kind"), label(m, "reason"), label(m, "op"), "")] += int(m.GetCounter().GetValue())
	}
	for _, m := range fams["flaskgo_session_store_call_duration_seconds"].GetMetric() {
		got[obstest.Name("server_side", "store_call", "", label(m, "op"), label(m, "outcome"))] += int(m.GetHistogram().GetSampleCount())
	}
	return got
}

func TestScriptedVisitScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	obs, err := promsession.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	obstest.Run(t, obs, nil)
	fams := scrape(t, reg)
	if d := obstest.Diff(counts(t, fams)); d != "" {
		t.Errorf("scraped counts differ from obstest.Want:\n%s", d)
	}
	histCount := func(name string, want map[string]string) (n int) {
		for _, m := range fams[name].GetMetric() {
			match := true
			for k, v := range want {
				match = match && label(m, k) == v
			}
			if match {
				n += int(m.GetHistogram().GetSampleCount())
			}
		}
		return n
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   int
	}{
		{"flaskgo_session_cookie_size_bytes", map[string]string{"mode": "signed_cookie"}, obstest.CookieSizes},
		{"flaskgo_session_cookie_size_bytes", map[string]string{"mode": "server_side"}, 0},
		{"flaskgo_session_commit_duration_seconds", map[string]string{"mode": "server_side", "op": "record_saved"}, obstest.Want["server_side/committed/record_saved"]},
		{"flaskgo_session_commit_duration_seconds", map[string]string{"mode": "signed_cookie", "op": "cookie_written"}, obstest.Want["signed_cookie/committed/cookie_written"]},
		{"flaskgo_session_load_duration_seconds", map[string]string{"mode": "server_side"}, obstest.Want["server_side/loaded"]},
		{"flaskgo_session_load_duration_seconds", map[string]string{"mode": "signed_cookie"}, obstest.Want["signed_cookie/loaded"]},
	} {
		if got := histCount(tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v: %d observations, want %d", tc.name, tc.labels, got, tc.want)
		}
	}
	// The cookie sizes are real: a small session's cookie is between 64
	// and 512 bytes.
	for _, m := range fams["flaskgo_session_cookie_size_bytes"].GetMetric() {
		h := m.GetHistogram()
		if avg := h.GetSampleSum() / float64(h.GetSampleCount()); avg < 64 || avg > 512 {
			t.Errorf("mean cookie size %.0f bytes, want 64..512", avg)
		}
	}
	// Every label value comes from a short fixed set.
	allowed := map[string]bool{}
	for _, v := range []string{"", "signed_cookie", "sealed_cookie", "server_side",
		"created", "loaded", "renewed", "destroyed", "committed", "rejected", "commit_failed", "changed_after_commit", "merge_retry",
		"bad_signature", "unknown_key", "expired", "future_timestamp", "malformed", "unknown_id", "idle_timeout", "absolute_timeout", "revoked", "store_error", "too_large", "encode_error", "other",
		"cookie_written", "cookie_deleted", "record_saved", "record_touched", "record_deleted",
		"load", "save", "save_if_version", "delete", "touch", "user_sessions", "delete_user_sessions",
		"ok", "not_found", "conflict", "timeout", "error"} {
		allowed[v] = true
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "le" && !allowed[l.GetValue()] {
					t.Errorf("%s: label %s=%q is not one of the fixed values", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestNewRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := promsession.New(reg); err != nil {
		t.Fatal(err)
	}
	_, err := promsession.New(reg)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		t.Fatalf("second New on one registry: err = %v, want an AlreadyRegisteredError", err)
	}
	// Another namespace, or other const labels, make distinct metrics.
	if _, err := promsession.New(reg, promsession.WithNamespace("shop")); err != nil {
		t.Errorf("WithNamespace: %v", err)
	}
	// Const labels must have the same names on every registration of a
	// name (a Prometheus rule); other values make other metrics.
	other := prometheus.NewRegistry()
	for _, app := range []string{"shop", "admin"} {
		if _, err := promsession.New(other, promsession.WithConstLabels(prometheus.Labels{"app": app})); err != nil {
			t.Errorf("WithConstLabels app=%s: %v", app, err)
		}
	}
	if _, err := promsession.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}

// A New that fails registers nothing: when the third metric is refused,
// the first two are unregistered.
func TestNewFailsWhole(t *testing.T) {
	reg := &refusing{Registerer: prometheus.NewRegistry(), refuse: 3}
	if _, err := promsession.New(reg); err == nil || !errors.Is(err, errRefused) {
		t.Fatalf("New = %v, want errRefused", err)
	}
	if reg.registered != 2 || reg.unregistered != 2 {
		t.Errorf("registered %d, unregistered %d; want 2 and 2", reg.registered, reg.unregistered)
	}
}

var errRefused = errors.New("refused")

// refusing is a Registerer that refuses its refuse-th registration.
type refusing struct {
	prometheus.Registerer
	refuse, calls, registered, unregistered int
}

func (r *refusing) Register(c prometheus.Collector) error {
	r.calls++
	if r.calls == r.refuse {
		return errRefused
	}
	r.registered++
	return r.Registerer.Register(c)
}

func (r *refusing) Unregister(c prometheus.Collector) bool {
	if r.Registerer.Unregister(c) {
		r.unregistered++
		return true
	}
	return false
}

func TestConstLabelsScraped(t *testing.T) {
	reg := prometheus.NewRegistry()
	obs, err := promsession.New(reg, promsession.WithNamespace("shop"), promsession.WithConstLabels(prometheus.Labels{"app": "demo"}))
	if err != nil {
		t.Fatal(err)
	}
	obstest.Run(t, obs, nil)
	fams := scrape(t, reg)
	f := fams["shop_session_events_total"]
	if f == nil || len(f.GetMetric()) == 0 {
		t.Fatalf("no shop_session_events_total in %d families", len(fams))
	}
	for _, m := range f.GetMetric() {
		if label(m, "app") != "demo" {
			t.Fatalf("series without app=demo: %v", m.GetLabel())
		}
	}
}
