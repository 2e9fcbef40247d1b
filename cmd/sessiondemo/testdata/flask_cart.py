"""A Flask app that shares its session with the Go demo (cmd/sessiondemo).

Run it next to the demo with the same secret key, on another port of the
same host (cookies are per host, not per port, so the browser sends the
demo's session cookie here too):

    SESSIONDEMO_SECRET=s3cret go run ./cmd/sessiondemo &
    SESSIONDEMO_SECRET=s3cret /usr/bin/python3 cmd/sessiondemo/testdata/flask_cart.py 5000

Then add things to the cart at http://127.0.0.1:8080 and open
http://127.0.0.1:5000/cart: Flask reads the cart the Go demo wrote.
POST /cart/add?sku=...&qty=N changes it from the Flask side, and the Go demo
shows the change.

Usage: flask_cart.py PORT   (the secret comes from SESSIONDEMO_SECRET)
"""

import os
import sys

from flask import Flask, jsonify, request, session

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SESSIONDEMO_SECRET", "")

# The Go demo's catalogue, by SKU, so Flask can price the cart too.
PRICES = {
    "tea-sencha": 1250,
    "mug-enamel": 1800,
    "notebook-a5": 1450,
    "pen-fountain": 3900,
    "socks-wool": 2200,
    "candle-cedar": 2600,
}


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/cart")
def cart():
    """Report the session as Flask decoded it."""
    items = dict(session.get("cart", {}))
    total = sum(PRICES.get(sku, 0) * qty for sku, qty in items.items())
    return jsonify(
        cart=items,
        total_cents=total,
        user=session.get("_user_id"),
        theme=session.get("theme"),
        permanent=session.permanent,
        keys=sorted(session.keys()),
    )


@app.post("/cart/add")
def add():
    """Change the cart from the Flask side; the Go demo must see it."""
    sku = request.args.get("sku", "")
    if sku not in PRICES:
        return jsonify(error="unknown sku"), 400
    qty = int(request.args.get("qty", "1"))
    items = dict(session.get("cart", {}))
    items[sku] = items.get(sku, 0) + qty
    session["cart"] = items
    return jsonify(cart=items)


if __name__ == "__main__":
    if not app.config["SECRET_KEY"]:
        sys.exit("flask_cart.py: set SESSIONDEMO_SECRET to the Go demo's secret")
    if len(sys.argv) != 2:
        sys.exit("usage: flask_cart.py PORT")
    print("flask_cart: serving on 127.0.0.1:%s" % sys.argv[1], flush=True)
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False, use_reloader=False)
