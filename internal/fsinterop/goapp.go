package fsinterop

import (
	"encoding/json"
	"net/http"

	"github.com/flaskgo/session"
)

// GoApp mirrors the peer's endpoints on a Go session.
func GoApp() http.Handler {
	mux := http.NewServeMux()
	dump := func(w http.ResponseWriter, s *session.Session) {
		values := map[string]any{}
		for _, k := range s.Keys() {
			values[k], _ = s.Get(k)
		}
		json.NewEncoder(w).Encode(map[string]any{"session": ToTyped(values), "permanent": s.Permanent(), "sid": s.ID()})
	}
	mux.HandleFunc("GET /dump", func(w http.ResponseWriter, r *http.Request) { dump(w, session.From(r)) })
	mux.HandleFunc("POST /set", func(w http.ResponseWriter, r *http.Request) {
		var body any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		values, err := FromTyped(body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s := session.From(r)
		for k, v := range values.(map[string]any) {
			s.Set(k, v)
		}
		if r.URL.Query().Get("permanent") == "1" {
			s.SetPermanent(true)
		}
		dump(w, s)
	})
	mux.HandleFunc("POST /flash", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r)
		s.Flash(r.URL.Query().Get("msg"), r.URL.Query().Get("cat"))
		dump(w, s)
	})
	mux.HandleFunc("GET /flashes", func(w http.ResponseWriter, r *http.Request) {
		out := [][2]string{}
		for _, f := range session.From(r).Flashes() {
			out = append(out, [2]string{f.Category, f.Message})
		}
		json.NewEncoder(w).Encode(map[string]any{"flashes": out})
	})
	mux.HandleFunc("POST /clear", func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
