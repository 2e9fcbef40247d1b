package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// keyQuotingStore fails every call with an error that quotes the key, as
// drivers do.
type keyQuotingStore struct{ session.Store }

func (keyQuotingStore) Load(_ context.Context, key string) (session.Record, error) {
	return session.Record{}, fmt.Errorf("backend: GET %q: connection reset", key)
}

func (keyQuotingStore) Save(_ context.Context, key string, _ session.Record) error {
	return fmt.Errorf("backend: SET %q: connection reset", key)
}

func (keyQuotingStore) Delete(_ context.Context, key string) error {
	return fmt.Errorf("backend: DEL %q: connection reset", key)
}

// No error or log line shows a session id, even with Flask-Session's plain
// store keys and a store that quotes keys in its errors.
func TestSessionIDsNeverInErrorsOrLogs(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	healthy := newManager(t, session.Config{Store: ms, PlainStoreKeys: true})
	var id string
	serve(t, healthy, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("a", 1)
		w.WriteHeader(http.StatusOK)
		id = s.ID()
	})
	var logs bytes.Buffer
	var handled, rejected []error
	m := newManager(t, session.Config{
		Store: keyQuotingStore{ms}, PlainStoreKeys: true,
		Logger:          slog.New(slog.NewTextHandler(&logs, nil)),
		OnInvalidCookie: func(r *http.Request, err error) { rejected = append(rejected, err) },
	})
	rec := serve(t, m, id, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if err := s.Err(); err == nil || strings.Contains(err.Error(), id) {
			t.Errorf("Session.Err() = %v: shows the id", err)
		}
		s.Set("b", 2)
	})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	m2 := newManager(t, session.Config{Store: keyQuotingStore{ms}, PlainStoreKeys: true,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { handled = append(handled, err) }})
	serve(t, m2, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("new", 1) }) // save of a new id fails
	if !strings.Contains(handled[0].Error(), `SET "session:id#`) {
		t.Errorf("the failed save of a new session: %q, want the new id fingerprinted", handled[0])
	}
	serve(t, m2, id, func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("b", 2) })
	if len(handled) != 2 {
		t.Fatalf("%d errors handled, want 2", len(handled))
	}
	for _, err := range append(handled, rejected...) {
		if strings.Contains(err.Error(), id) || !errors.Is(err, session.ErrStore) {
			t.Errorf("error %q: shows the id or lost ErrStore", err)
		}
	}
	if !strings.Contains(handled[1].Error(), "id#") {
		t.Errorf("error %q: no fingerprint in place of the id", handled[1])
	}
	if strings.Contains(logs.String(), id) || logs.Len() == 0 {
		t.Errorf("logs show the id (or nothing was logged):\n%s", logs.String())
	}
}
