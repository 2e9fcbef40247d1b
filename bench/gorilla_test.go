package bench

import (
	"encoding/gob"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// jsonValues is securecookie's JSON serializer made to work with sessions:
// gorilla keeps Values as map[interface{}]interface{}, which encoding/json
// (and so securecookie.JSONEncoder) refuses, so string keys are converted
// on the way in and out. This is the least an application has to write to
// get JSON (not gob) session cookies out of gorilla/sessions.
type jsonValues struct{}

func (jsonValues) Serialize(src any) ([]byte, error) {
	vals, ok := src.(map[any]any)
	if !ok {
		return securecookie.JSONEncoder{}.Serialize(src)
	}
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("jsonValues: key %v is a %T, not a string", k, k)
		}
		m[ks] = v
	}
	return json.Marshal(m)
}

func (jsonValues) Deserialize(src []byte, dst any) error {
	vals, ok := dst.(*map[any]any)
	if !ok {
		return securecookie.JSONEncoder{}.Deserialize(src, dst)
	}
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return err
	}
	if *vals == nil {
		*vals = make(map[any]any, len(m))
	}
	for k, v := range m {
		(*vals)[k] = v
	}
	return nil
}

func init() {
	// gob needs the concrete type of a nested map stored in an interface.
	gob.Register(map[string]any{})
}

// gorillaStore returns a signed-only (no encryption) CookieStore with the
// given serializer, and a cookie holding the typical session.
func gorillaStore(tb testing.TB, ser securecookie.Serializer) (*sessions.CookieStore, string) {
	tb.Helper()
	st := sessions.NewCookieStore([]byte(secretKey))
	for _, c := range st.Codecs {
		c.(*securecookie.SecureCookie).SetSerializer(ser)
	}
	seed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r, "session")
		for k, v := range typicalSession() {
			s.Values[k] = v
		}
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return st, cookieFrom(tb, serve(seed, ""))
}

func benchGorilla(b *testing.B, ser securecookie.Serializer) {
	st, cookie := gorillaStore(b, ser)
	read := func(r *http.Request) string {
		s, err := st.Get(r, "session")
		if err != nil {
			return ""
		}
		v, _ := s.Values["theme"].(string)
		return v
	}
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := st.Get(r, "session")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.Values["theme"] = "dark"
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	b.Run("read", func(b *testing.B) { runRequests(b, readOne(read), cookie, false) })
	b.Run("write", func(b *testing.B) { runRequests(b, write, cookie, true) })
}

// BenchmarkGorillaCookieJSON is gorilla/sessions' CookieStore (HMAC-SHA256,
// no encryption) with JSON values, the closest match to a Flask cookie.
func BenchmarkGorillaCookieJSON(b *testing.B) { benchGorilla(b, jsonValues{}) }

// BenchmarkGorillaCookieGob is the same with gorilla's default gob values.
func BenchmarkGorillaCookieGob(b *testing.B) { benchGorilla(b, securecookie.GobEncoder{}) }

// TestGorillaJSONEncoderRefusesSessions documents why jsonValues exists.
func TestGorillaJSONEncoderRefusesSessions(t *testing.T) {
	_, err := securecookie.JSONEncoder{}.Serialize(map[any]any{"theme": "dark"})
	if err == nil {
		t.Fatal("securecookie.JSONEncoder encoded a map[interface{}]interface{}; jsonValues may no longer be needed")
	}
}
