package main

import (
	"net/http"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/promsession"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMetrics returns the session Observer and the /metrics handler: the
// session metrics on a registry of their own, so that the page shows only
// what the demo is about.
func newMetrics() (session.Observer, http.Handler, error) {
	reg := prometheus.NewRegistry()
	obs, err := promsession.New(reg)
	if err != nil {
		return nil, nil, err
	}
	return obs, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}), nil
}
