package main

import (
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/flaskgo/session"
)

// products the Go routes know; the Flask app lists the same ones.
var products = map[string]string{"tea": "Sencha tea", "pen": "Fountain pen"}

// newService is the Go half: the routes under /go/ are Go's, on a
// session.Manager that reads and writes the Flask app's session; every
// other path goes to the Flask app unchanged. The Manager wraps only the
// Go routes, so a proxied response never gets a second Set-Cookie.
func newService(flask *url.URL, m *session.Manager) http.Handler {
	goRoutes := http.NewServeMux()
	goRoutes.HandleFunc("POST /go/cart/add", cartAdd)
	goRoutes.HandleFunc("GET /go/cart", cartPage)
	goRoutes.HandleFunc("POST /go/logout", logout)

	mux := http.NewServeMux()
	mux.Handle("/go/", m.Handler(goRoutes))
	mux.Handle("/", httputil.NewSingleHostReverseProxy(flask))
	return mux
}

// cartAdd adds one of a product to the cart the Flask app keeps: a dict of
// product to quantity under "cart". Update replays the change on the
// freshest record in the server-side modes, so two tabs adding at once
// both count.
func cartAdd(w http.ResponseWriter, r *http.Request) {
	sku := r.FormValue("sku")
	if _, ok := products[sku]; !ok {
		http.Error(w, "unknown product", http.StatusBadRequest)
		return
	}
	session.From(r).Update("cart", func(old any, _ bool) any {
		cart := map[string]any{}
		if m, ok := old.(map[string]any); ok {
			for k, v := range m {
				cart[k] = v
			}
		}
		cart[sku] = quantity(cart[sku]) + 1
		return cart
	})
	http.Redirect(w, r, "/go/cart", http.StatusSeeOther)
}

// logout ends the session for both apps: Destroy deletes the cookie (and
// the Flask-Session record).
func logout(w http.ResponseWriter, r *http.Request) {
	session.From(r).Destroy()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

var cartTmpl = template.Must(template.New("cart").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cart (Go)</title></head>
<body data-user="{{.User}}" data-served-by="go">
<nav><a href="/">Shop</a> · <a href="/cart" id="flask-cart">Cart on the Flask page</a>{{if .User}} · <span id="who">{{.User}}</span>
<form method="post" action="/go/logout" style="display:inline"><button id="logout">Log out</button></form>{{end}}</nav>
<h1>Cart <small>(served by Go)</small></h1>
{{if .Rows}}<table id="cart">{{range .Rows}}<tr data-sku="{{.SKU}}"><td>{{.Name}}</td><td class="qty">{{.Qty}}</td></tr>{{end}}</table>
{{else}}<p id="cart-empty">Your cart is empty.</p>{{end}}
</body></html>`))

type cartRow struct {
	SKU, Name string
	Qty       int64
}

func cartPage(w http.ResponseWriter, r *http.Request) {
	s := session.From(r)
	data := struct {
		User string
		Rows []cartRow
	}{User: s.GetString("user")}
	cart, _ := s.Get("cart")
	if m, ok := cart.(map[string]any); ok {
		for _, sku := range []string{"pen", "tea"} {
			if q := quantity(m[sku]); q > 0 {
				data.Rows = append(data.Rows, cartRow{sku, products[sku], q})
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := cartTmpl.Execute(w, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
	}
}

// quantity reads a count as either side may have stored it: Flask's JSON
// cookie and pickle give integers, which decode as int64 or, when huge,
// *big.Int.
func quantity(v any) int64 {
	switch q := v.(type) {
	case int64:
		return q
	case int:
		return int64(q)
	case float64:
		return int64(q)
	case *big.Int:
		if q.IsInt64() {
			return q.Int64()
		}
	}
	return 0
}

// redactURL shows a store URL without its password, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return strings.TrimSuffix(fmt.Sprint(u), "?")
}
