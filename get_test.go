package session_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/flaskgo/session"
)

func TestGetConversions(t *testing.T) {
	type prefs struct {
		Theme string `json:"theme"`
		Size  int    `json:"size"`
	}
	m := newManager(t, session.Config{})
	value, _ := sessionCookie(t, serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Set("int", 42)
		s.Set("big", uint64(1)<<63)
		s.Set("float", 2.0)
		s.Set("half", 2.5)
		s.Set("str", "x")
		s.Set("prefs", prefs{Theme: "dark", Size: 3})
	}), "session")
	serve(t, m, value, func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		check := func(name string, got any, err error, want any, wantErr error) {
			t.Helper()
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					t.Errorf("%s: err %v, want %v", name, err, wantErr)
				}
				return
			}
			if err != nil || got != want {
				t.Errorf("%s: %v, %v; want %v", name, got, err, want)
			}
		}
		i, err := session.Get[int](s, "int")
		check("int", i, err, 42, nil)
		i64, err := session.Get[int64](s, "int")
		check("int64", i64, err, int64(42), nil)
		f, err := session.Get[float64](s, "int")
		check("float64 from int", f, err, 42.0, nil)
		u8, err := session.Get[uint8](s, "int")
		check("uint8", u8, err, uint8(42), nil)
		_, err = session.Get[int64](s, "big")
		check("int64 overflow", nil, err, nil, session.ErrWrongType)
		u, err := session.Get[uint64](s, "big")
		check("uint64 big", u, err, uint64(1)<<63, nil)
		i, err = session.Get[int](s, "float")
		check("int from 2.0", i, err, 2, nil)
		_, err = session.Get[int](s, "half")
		check("int from 2.5", nil, err, nil, session.ErrWrongType)
		_, err = session.Get[int](s, "str")
		check("int from string", nil, err, nil, session.ErrWrongType)
		_, err = session.Get[string](s, "nope")
		check("missing", nil, err, nil, session.ErrMissing)
		p, err := session.Get[prefs](s, "prefs")
		check("struct", p, err, prefs{Theme: "dark", Size: 3}, nil)
		_, err = session.Get[prefs](s, "str")
		check("struct from string", nil, err, nil, session.ErrWrongType)
	})
}
