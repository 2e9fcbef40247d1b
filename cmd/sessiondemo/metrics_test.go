package main

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func withMetrics() testOption { return func(c *Config) { c.Metrics = true } }

// scrapeMetrics fetches /metrics and parses it as Prometheus would.
func scrapeMetrics(t *testing.T, base string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("GET /metrics set cookies: %q", sc)
	}
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	return fams, string(text)
}

// events returns events_total by "kind/reason/op" for one mode.
func events(fams map[string]*dto.MetricFamily, mode string) map[string]int {
	out := map[string]int{}
	for _, m := range fams["flaskgo_session_events_total"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["mode"] != mode {
			continue
		}
		k := l["kind"]
		for _, p := range []string{l["reason"], l["op"]} {
			if p != "" {
				k += "/" + p
			}
		}
		out[k] += int(m.GetCounter().GetValue())
	}
	return out
}

// TestMetrics scripts a visit (shop, cart, log in, cart, a tampered cookie,
// log out) and reads what it did from a scrape of /metrics.
func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		store, mode string
		want        map[string]int
	}{
		// cart: created; its page: loaded (the flash is read: written);
		// log in: loaded, renewed; its page: loaded; the cart: loaded;
		// the tampered cookie: rejected; log out: loaded, destroyed, and a
		// new session for the flash (created); its page: loaded, the
		// flash read leaves it empty (deleted).
		{"cookie", "signed_cookie", map[string]int{
			"created": 2, "loaded": 6, "renewed": 1, "destroyed": 1, "rejected/bad_signature": 1,
			"committed/cookie_written": 5, "committed/cookie_deleted": 1,
		}},
		// The same; an id that is not in the store is unknown.
		{"memory", "server_side", map[string]int{
			"created": 2, "loaded": 6, "renewed": 1, "destroyed": 1, "rejected/unknown_id": 1,
			"committed/record_saved": 5, "committed/record_deleted": 1,
		}},
	} {
		t.Run(tc.store, func(t *testing.T) {
			srv := newTestServer(t, tc.store, withMetrics())
			c := newClient(t, srv.URL)
			c.get("/")
			c.submit("/cart/add", url.Values{"sku": {"mug-enamel"}}) // an anonymous session
			if page := c.login("alice", "wonderland", false); loggedInAs(page.body) != "alice" {
				t.Fatal("login failed")
			}
			c.get("/cart")
			intruder := newClient(t, srv.URL)
			intruder.setCookie(flipSignature(c.cookie()))
			intruder.get("/")
			c.submit("/logout", nil)

			fams, text := scrapeMetrics(t, srv.URL)
			got := events(fams, tc.mode)
			if !maps.Equal(got, tc.want) {
				t.Errorf("events_total{mode=%q}:\n got %v\nwant %v", tc.mode, got, tc.want)
			}
			if tc.store == "cookie" && !strings.Contains(text, `flaskgo_session_cookie_size_bytes_count{mode="signed_cookie"}`) {
				t.Errorf("no cookie size histogram in\n%s", text)
			}
			if tc.store == "memory" && !strings.Contains(text, `flaskgo_session_store_call_duration_seconds_count{op="load",outcome="ok"}`) {
				t.Errorf("no store call histogram in\n%s", text)
			}
			if testing.Verbose() {
				t.Logf("scrape:\n%s", text)
			}
		})
	}
}

// TestMetricsFlag runs the command: -metrics, or SESSIONDEMO_METRICS=1,
// serves /metrics; without either there is none.
func TestMetricsFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want int
	}{
		{nil, "", http.StatusNotFound},
		{[]string{"-metrics"}, "", http.StatusOK},
		{nil, "1", http.StatusOK},
		{[]string{"-metrics=false"}, "true", http.StatusNotFound},
	} {
		getenv := func(k string) string {
			if k == "SESSIONDEMO_METRICS" {
				return tc.env
			}
			return ""
		}
		ctx, cancel := context.WithCancel(context.Background())
		ready, done := make(chan string, 1), make(chan error, 1)
		args := append([]string{"-addr", "127.0.0.1:0", "-secret", testSecret}, tc.args...)
		go func() { done <- run(ctx, args, getenv, slog.New(slog.NewTextHandler(io.Discard, nil)), ready) }()
		var addr string
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("run %q: %v", args, err)
		}
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run %q: %v", args, err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("args %q env %q: GET /metrics status %d, want %d", tc.args, tc.env, resp.StatusCode, tc.want)
		}
	}
}
