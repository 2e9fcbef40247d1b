// Command sessiondemo is a small shop that shows what github.com/flaskgo/session
// does: log in and out, a cart and preferences kept in the session, flash
// messages, an inspector that decodes the session cookie, and, with a
// server-side store, a list of the devices a user is logged in on.
//
// Usage:
//
//	sessiondemo [-addr 127.0.0.1:8080] [-store cookie] [-secret KEY] [-metrics]
//
// -store (or SESSIONDEMO_STORE) is one of cookie, encrypted, memory,
// file:DIR, sqlite:FILE, redis://host:port, postgres://… or mysql://….
// -secret (or, better, SESSIONDEMO_SECRET, which ps does not show) is the
// signing key; without one a random key is used and sessions do not survive
// a restart. -metrics serves the session metrics at /metrics (Prometheus
// text format).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long in-flight requests may run after SIGINT
// or SIGTERM.
const shutdownTimeout = 10 * time.Second

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one kills at once instead of
		// waiting for the graceful shutdown.
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		logger.Error("sessiondemo failed", "err", err)
		os.Exit(1)
	}
}

// run parses flags, serves until ctx is done, then shuts down gracefully.
// ready, if not nil, receives the listening address once the server accepts
// connections.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready chan<- string) error {
	fs := flag.NewFlagSet("sessiondemo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", envOr(getenv, "SESSIONDEMO_ADDR", "127.0.0.1:8080"), "listen address (env SESSIONDEMO_ADDR)")
	store := fs.String("store", envOr(getenv, "SESSIONDEMO_STORE", "cookie"),
		"where sessions live: cookie | encrypted | memory | file:DIR | sqlite:FILE | redis://host:port | postgres://… | mysql://… (env SESSIONDEMO_STORE)")
	metrics := fs.Bool("metrics", envBool(getenv, "SESSIONDEMO_METRICS"), "serve the session metrics at /metrics, Prometheus text (env SESSIONDEMO_METRICS)")
	secret := fs.String("secret", getenv("SESSIONDEMO_SECRET"), "secret key (env SESSIONDEMO_SECRET; prefer the env var, ps shows flags)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	if *secret == "" {
		*secret = newToken()
		logger.Warn("NO SECRET KEY GIVEN: using a random one. Sessions will not survive a restart, " +
			"and a Flask app cannot share them. Set SESSIONDEMO_SECRET (or -secret) to keep them.")
	}

	a, err := newApp(ctx, Config{Secret: *secret, Store: *store, Logger: logger, Metrics: *metrics})
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Warn("closing the session store failed", "err", err)
		}
	}()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("sessiondemo listening", "url", "http://"+ln.Addr().String(), "store", a.spec.String())
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// envBool reads a yes/no environment variable: 1 or true (any case) is yes.
func envBool(getenv func(string) string, key string) bool {
	v := strings.ToLower(getenv(key))
	return v == "1" || v == "true"
}
