package main

import (
	"errors"
	"net/http"
	"sort"

	"github.com/flaskgo/session"
)

// product is an item of the demo catalogue. Prices are in cents, so sums
// are exact.
type product struct {
	SKU         string
	Name        string
	Description string
	Price       int64
}

var products = []product{
	{"tea-sencha", "Sencha green tea", "100 g of loose first-flush leaves from Shizuoka.", 1250},
	{"mug-enamel", "Enamel camping mug", "350 ml, speckled blue, survives campfires.", 1800},
	{"notebook-a5", "Dot-grid notebook", "A5, 192 pages of 100 g/m² paper, lays flat.", 1450},
	{"pen-fountain", "Fountain pen", "Steel nib, medium, with a converter and six cartridges.", 3900},
	{"socks-wool", "Merino socks", "Two pairs, mid-weight, made in Portugal.", 2200},
	{"candle-cedar", "Cedar candle", "Soy wax, 40 hours, smells like a forest after rain.", 2600},
}

func productBySKU(sku string) (product, bool) {
	for _, p := range products {
		if p.SKU == sku {
			return p, true
		}
	}
	return product{}, false
}

// cartOf reads the cart (sku → quantity) from the session. Entries that
// name no product or hold a silly quantity (a Flask app sharing the secret
// may have written anything) are skipped.
func (a *app) cartOf(r *http.Request) map[string]int {
	raw, err := session.Get[map[string]int](session.From(r), keyCart)
	if err != nil {
		if !errors.Is(err, session.ErrMissing) {
			a.log.Warn("ignoring unreadable cart", "err", err)
		}
		return map[string]int{}
	}
	cart := make(map[string]int, len(raw))
	for sku, q := range raw {
		if _, ok := productBySKU(sku); ok && q > 0 && q <= maxQty {
			cart[sku] = q
		}
	}
	return cart
}

// saveCart writes the cart back; an empty cart removes the key.
func saveCart(r *http.Request, cart map[string]int) {
	s := session.From(r)
	if len(cart) == 0 {
		s.Delete(keyCart)
		return
	}
	// int64 values: the session's native integer type, which Flask's tagged
	// JSON reads back as Python ints.
	m := make(map[string]any, len(cart))
	for sku, q := range cart {
		m[sku] = int64(q)
	}
	s.Set(keyCart, m)
}

type shopItem struct {
	product
	InCart int
}

func (a *app) shop(w http.ResponseWriter, r *http.Request) {
	p := a.base(w, r, "shop", "Shop")
	cart := a.cartOf(r)
	items := make([]shopItem, len(products))
	for i, pr := range products {
		items[i] = shopItem{product: pr, InCart: cart[pr.SKU]}
	}
	p.Data = items
	a.render(w, r, http.StatusOK, "shop", p)
}

type cartLine struct {
	product
	Qty      int
	Subtotal int64
}

type cartData struct {
	Lines []cartLine
	Total int64
	Max   int
}

func (a *app) cart(w http.ResponseWriter, r *http.Request) {
	p := a.base(w, r, "cart", "Cart")
	d := cartData{Max: maxQty}
	for sku, q := range a.cartOf(r) {
		pr, _ := productBySKU(sku)
		line := cartLine{product: pr, Qty: q, Subtotal: pr.Price * int64(q)}
		d.Lines = append(d.Lines, line)
		d.Total += line.Subtotal
	}
	sort.Slice(d.Lines, func(i, j int) bool { return d.Lines[i].Name < d.Lines[j].Name })
	p.Data = d
	a.render(w, r, http.StatusOK, "cart", p)
}

// cartForm reads the sku field, flashing an error for an unknown product.
func (a *app) cartForm(w http.ResponseWriter, r *http.Request) (product, bool) {
	pr, ok := productBySKU(r.PostForm.Get("sku"))
	if !ok {
		s := session.From(r)
		flash(s, tr(langOf(s), "That product does not exist."), "error")
		redirect(w, r, "/")
	}
	return pr, ok
}

func (a *app) cartAdd(w http.ResponseWriter, r *http.Request) {
	pr, ok := a.cartForm(w, r)
	if !ok {
		return
	}
	s := session.From(r)
	add := 1
	if v := r.PostForm.Get("qty"); v != "" {
		if add, ok = atoiBounded(v, 1, maxQty); !ok {
			flash(s, tr(langOf(s), "Quantities go from 0 to %d.", maxQty), "error")
			redirect(w, r, "/")
			return
		}
	}
	cart := a.cartOf(r)
	cart[pr.SKU] = min(cart[pr.SKU]+add, maxQty)
	saveCart(r, cart)
	flash(s, tr(langOf(s), "Added %s to your cart.", pr.Name), "success")
	redirect(w, r, safeNext(r.PostForm.Get("next")))
}

func (a *app) cartUpdate(w http.ResponseWriter, r *http.Request) {
	pr, ok := a.cartForm(w, r)
	if !ok {
		return
	}
	s := session.From(r)
	lang := langOf(s)
	qty, ok := atoiBounded(r.PostForm.Get("qty"), 0, maxQty)
	if !ok {
		flash(s, tr(lang, "Quantities go from 0 to %d.", maxQty), "error")
		redirect(w, r, "/cart")
		return
	}
	cart := a.cartOf(r)
	if qty == 0 {
		delete(cart, pr.SKU)
		flash(s, tr(lang, "Removed %s from your cart.", pr.Name), "info")
	} else {
		cart[pr.SKU] = qty
		flash(s, tr(lang, "Updated %s: %d in your cart.", pr.Name, qty), "success")
	}
	saveCart(r, cart)
	redirect(w, r, "/cart")
}

func (a *app) cartRemove(w http.ResponseWriter, r *http.Request) {
	pr, ok := a.cartForm(w, r)
	if !ok {
		return
	}
	cart := a.cartOf(r)
	delete(cart, pr.SKU)
	saveCart(r, cart)
	s := session.From(r)
	flash(s, tr(langOf(s), "Removed %s from your cart.", pr.Name), "info")
	redirect(w, r, "/cart")
}
