package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
)

// The observer tests of the event kinds and reasons that the scripted
// visits do not reach (revoked, encode_error, merge_retry), and the promise
// that no event carries a session id.

func TestObserverRevoked(t *testing.T) {
	rec := &recorder{}
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Observer: rec, Revocations: ms})
	step := stepper(t, m, rec)
	cookie := step("log in", "", func(s *session.Session) { s.Set("_user_id", "ann") },
		"committed/cookie_written=1 created=1")
	// Loading the session checks the user's revocation record (none yet);
	// logout then reads that record and writes it, naming this session.
	step("log out", cookie, func(s *session.Session) { s.Destroy() },
		"committed/cookie_deleted=1 destroyed=1 loaded=1 store_call/load/not_found=2 store_call/save_if_version/ok=1")
	// The check costs one store read.
	step("replay the copy", cookie, func(s *session.Session) { s.Get("_user_id") },
		"rejected/revoked=1 store_call/load/ok=1")
}

func TestObserverEncodeError(t *testing.T) {
	for _, store := range []session.Store{nil, memstore.New()} {
		rec := &recorder{}
		m := newManager(t, session.Config{Observer: rec, Store: store, ErrorHandler: func(http.ResponseWriter, *http.Request, error) {}})
		step := stepper(t, m, rec)
		step(fmt.Sprintf("store %T: a channel", store), "", func(s *session.Session) { s.Set("c", make(chan int)) },
			"commit_failed/encode_error=1")
	}
}

// TestObserverMergeRetry commits a session that another Manager on the same
// store (another process) changed after this one loaded it: the conditional
// write conflicts, the commit reloads and replays its change.
func TestObserverMergeRetry(t *testing.T) {
	ctx := context.Background()
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	rec := &recorder{}
	m := newManager(t, session.Config{Observer: rec, Store: ms})
	other := newManager(t, session.Config{Store: ms})
	s := m.Open(ctx, "")
	s.Set("a", 1)
	tok, err := m.Commit(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()

	mine := m.Open(ctx, tok.Value)
	mine.Get("a") // loaded at version 1
	theirs := other.Open(ctx, tok.Value)
	theirs.Set("b", 2)
	if _, err := other.Commit(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	mine.Set("c", 3)
	if _, err := m.Commit(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), "committed/record_saved=1 loaded=1 merge_retry=1 store_call/load/ok=2 store_call/save_if_version/conflict=1 store_call/save_if_version/ok=1"; got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	final := other.Open(ctx, tok.Value)
	for k, want := range map[string]int{"a": 1, "b": 2, "c": 3} {
		if got, _ := session.Get[int](final, k); got != want {
			t.Errorf("after the replay %s = %d, want %d", k, got, want)
		}
	}
}

// fullRecorder keeps every event whole, to search them for ids.
type fullRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fullRecorder) SessionEvent(_ context.Context, e session.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	errText := ""
	if e.Err != nil {
		errText = e.Err.Error()
	}
	r.events = append(r.events, fmt.Sprintf("%+v err=%s", e, errText))
}

// keyEchoStore fails every load with an error that names the store key,
// as a driver's error does ("load session:abc…: connection refused"); under
// PlainStoreKeys the key is prefix + the raw id.
type keyEchoStore struct{ session.Store }

func (keyEchoStore) Load(_ context.Context, key string) (session.Record, error) {
	return session.Record{}, fmt.Errorf("load %q: %w", key, errors.New("connection refused"))
}

func TestObserverEventsCarryNoID(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	rec := &fullRecorder{}
	cfg := session.Config{Observer: rec, Store: ms, PlainStoreKeys: true}
	m := newManager(t, cfg)
	var ids []string
	cookie, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("_user_id", "ann") }), "session")
	ids = append(ids, cookie)
	renewed, _ := sessionCookie(t, serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { session.From(r).Renew() }), "session")
	ids = append(ids, renewed)
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("a") }) // unknown id now
	cfg.Store = keyEchoStore{ms}
	cfg.ErrorHandler = func(http.ResponseWriter, *http.Request, error) {}
	broken := newManager(t, cfg)
	serve(t, broken, renewed, func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("a") })
	serve(t, m, renewed, func(w http.ResponseWriter, r *http.Request) { session.From(r).Destroy() })

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) < 8 {
		t.Fatalf("only %d events: %v", len(rec.events), rec.events)
	}
	sawStoreError := false
	for _, e := range rec.events {
		for _, id := range ids {
			if strings.Contains(e, id) {
				t.Errorf("an event carries the session id %.6s…: %s", id, e)
			}
		}
		sawStoreError = sawStoreError || strings.Contains(e, "connection refused")
	}
	if !sawStoreError {
		t.Errorf("no event carried the store's error; the check above proved nothing for it: %v", rec.events)
	}
}
