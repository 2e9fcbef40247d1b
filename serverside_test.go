package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/filestore"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/storetest"
)

func TestMiddlewareOverMemstore(t *testing.T) {
	storetest.RunMiddleware(t, storetest.Harness{New: func(t *testing.T) session.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

func TestMiddlewareOverFilestore(t *testing.T) {
	storetest.RunMiddleware(t, storetest.Harness{New: func(t *testing.T) session.Store {
		s, err := filestore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// countingStore counts calls to a real store.
type countingStore struct {
	session.Store
	calls atomic.Int64
}

func (c *countingStore) Load(ctx context.Context, key string) (session.Record, error) {
	c.calls.Add(1)
	return c.Store.Load(ctx, key)
}

func (c *countingStore) Save(ctx context.Context, key string, rec session.Record) error {
	c.calls.Add(1)
	return c.Store.Save(ctx, key, rec)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.calls.Add(1)
	return c.Store.Delete(ctx, key)
}

func TestServerSideBasics(t *testing.T) {
	c := newClock()
	ms := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { ms.Close() })
	counted := &countingStore{Store: ms}
	m := newManager(t, session.Config{Store: counted, Now: c.Now})

	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) })
	id, ok := sessionCookie(t, rec, "session")
	if !ok || len(id) != 43 {
		t.Fatalf("cookie %q: want a 43-character id", id)
	}
	sum := sha256.Sum256([]byte(id))
	key := "session:" + hex.EncodeToString(sum[:])
	if _, err := ms.Load(context.Background(), key); err != nil {
		t.Errorf("record not stored under the hashed key: %v", err)
	}
	if _, err := ms.Load(context.Background(), "session:"+id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("raw id usable as a store key: %v", err)
	}

	counted.calls.Store(0)
	serve(t, m, id, func(w http.ResponseWriter, r *http.Request) {})
	if n := counted.calls.Load(); n != 0 {
		t.Errorf("untouched session made %d store calls, want 0", n)
	}

	// A session that never gets data is never stored and gets no cookie.
	counted.calls.Store(0)
	rec = serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Get("x") })
	if n := counted.calls.Load(); n != 0 || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("empty new session: %d store calls, Set-Cookie %q", n, rec.Header().Get("Set-Cookie"))
	}
}

func TestServerSideIdleTimeout(t *testing.T) {
	c := newClock()
	ms := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{Store: ms, Now: c.Now, IdleTimeout: 10 * time.Minute})
	id, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) }), "session")
	for i := 0; i < 3; i++ {
		c.Advance(8 * time.Minute)
		serve(t, m, id, func(w http.ResponseWriter, r *http.Request) {
			if !session.From(r).Has("a") {
				t.Errorf("active session ended after %d idle periods", i)
			}
		})
	}
	c.Advance(11 * time.Minute)
	serve(t, m, id, func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Has("a") {
			t.Error("session survived its idle timeout")
		}
	})
}

func TestSignedIDsMatchFlaskSession(t *testing.T) {
	// Worked example of the Flask-Session spec §4.2.
	const secret = "correct horse battery staple"
	const sid = "VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q"
	const cookie = sid + ".wFyEzHMmRZ9LBEwFqVFVVlfe2dc"
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	m := newManager(t, session.Config{SecretKey: secret, Store: ms, SignIDs: true, PlainStoreKeys: true})
	if err := ms.Save(context.Background(), "session:"+sid, session.Record{Data: []byte(`{"user":"alice"}`), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	serve(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if got := session.From(r).GetString("user"); got != "alice" {
			t.Errorf("user = %q via a Flask-Session signed id", got)
		}
	})
	serve(t, m, sid+".wFyEzHMmRZ9LBEwFqVFVVlfe2dA", func(w http.ResponseWriter, r *http.Request) {
		if session.From(r).Len() != 0 {
			t.Error("a badly signed id was accepted")
		}
	})
	rec := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) })
	value, _ := sessionCookie(t, rec, "session")
	if id, sig, ok := strings.Cut(value, "."); !ok || len(id) != 43 || len(sig) != 27 {
		t.Errorf("new signed id cookie %q", value)
	}
}

// failingStore is a real store whose backend went away.
type failingStore struct{ session.Store }

var errOutage = errors.New("connection refused")

func (failingStore) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, errOutage
}

func TestStoreOutageGoesToErrorHandler(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	healthy := newManager(t, session.Config{Store: ms})
	id, _ := sessionCookie(t, serve(t, healthy, "", func(w http.ResponseWriter, r *http.Request) { session.From(r).Set("a", 1) }), "session")

	var got error
	broken := newManager(t, session.Config{Store: failingStore{ms}, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "try again", http.StatusServiceUnavailable)
	}})
	rec := serve(t, broken, id, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if !errors.Is(s.Err(), session.ErrStore) {
			t.Errorf("Err() = %v", s.Err())
		}
		s.Set("b", 2) // must not overwrite the stored session
	})
	if rec.Code != http.StatusServiceUnavailable || !errors.Is(got, session.ErrStore) || !errors.Is(got, errOutage) {
		t.Errorf("status %d, error %v", rec.Code, got)
	}
	serve(t, healthy, id, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		if !s.Has("a") || s.Has("b") {
			t.Errorf("stored session changed during the outage: %v", s.Keys())
		}
	})
}

func TestNoKeyPrefix(t *testing.T) {
	st := memstore.New()
	m, err := session.New(session.Config{SecretKey: "k", Store: st, NoKeyPrefix: true, PlainStoreKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	var id, key string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("a", 1)
		w.WriteHeader(http.StatusNoContent) // commits: the id exists now
		id, key = s.ID(), s.Info().StoreKey
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if id == "" || key != id {
		t.Fatalf("store key = %q for id %q, want the bare id", key, id)
	}
	if _, err := st.Load(context.Background(), id); err != nil {
		t.Fatalf("no record under the bare id: %v", err)
	}
	if _, err := session.New(session.Config{SecretKey: "k", Store: st, NoKeyPrefix: true, KeyPrefix: "x:"}); !errors.Is(err, session.ErrConfig) {
		t.Fatalf("NoKeyPrefix with KeyPrefix: err = %v, want session.ErrConfig", err)
	}
	if got, want := session.StoreKey("p:", "id", false), "p:"+hexSHA256("id"); got != want {
		t.Fatalf("StoreKey hashed = %q, want %q", got, want)
	}
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
