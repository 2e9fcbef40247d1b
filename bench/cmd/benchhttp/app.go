package main

import (
	"fmt"
	"net/http"
	"strconv"
)

// The session every server seeds: a logged-in visitor's few fields, the
// session's index i (echoed by writes, so the harness knows which session a
// response belongs to) and the counter n.
const (
	secretKey = "bench-http-secret-key-0123456789abcdef"
	csrfToken = "9f86d081884c7d659a2feaa0c55ad015"
	userID    = "42"
)

// app is one library's session calls; handler turns it into the routes every
// server has.
type app interface {
	// seed fills a new session with the visitor's fields, i and n = 0.
	seed(w http.ResponseWriter, r *http.Request, i int64) error
	// incr adds one to n (this library: Session.Update) and returns i and
	// the new n as this request sees it.
	incr(w http.ResponseWriter, r *http.Request) (i, n int64, err error)
	// count reads n without changing the session.
	count(r *http.Request) (int64, error)
}

// handler serves
//
//	/seed?i=N  a new session (Set-Cookie), body 0
//	/write     n+1; headers X-Sess: i, X-Count: n; body n
//	/read      n (the read workload), body n
//	/count     the same as /read: the counter check reads through it
//
// wrapped in the library's middleware when wrap is not nil.
func handler(a app, wrap func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/seed", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.ParseInt(r.URL.Query().Get("i"), 10, 64)
		if err != nil {
			http.Error(w, "bad i", http.StatusBadRequest)
			return
		}
		if err := a.seed(w, r, i); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "0")
	})
	mux.HandleFunc("/write", func(w http.ResponseWriter, r *http.Request) {
		i, n, err := a.incr(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("X-Sess", strconv.FormatInt(i, 10))
		h.Set("X-Count", strconv.FormatInt(n, 10))
		fmt.Fprint(w, n)
	})
	read := func(w http.ResponseWriter, r *http.Request) {
		n, err := a.count(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, n)
	}
	mux.HandleFunc("/read", read)
	mux.HandleFunc("/count", read)
	if wrap == nil {
		return mux
	}
	return wrap(mux)
}
