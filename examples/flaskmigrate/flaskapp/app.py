"""The Flask half of the migration example (see ../README.md).

A small shop that is being moved to Go route by route: login and the cart
page are still Flask's; adding to the cart and logging out already belong
to the Go service, which sits in front of this app as a reverse proxy and
shares its session cookie.

    python3 app.py --secret S [--store cookie|redis|sql] [--port N]
        [--redis URL] [--sql SQLALCHEMY_URI] [--table T] [--prefix P]

--store cookie is Flask's own signed cookie; redis and sql are Flask-Session
(SESSION_TYPE "redis" / "sqlalchemy") with SESSION_USE_SIGNER on. The app
prints "READY <port>" once it listens on 127.0.0.1, and serves until its
stdin closes.
"""

import argparse
import sys
import threading

import flask
from werkzeug.serving import make_server

PRODUCTS = {"tea": ("Sencha tea", 1250), "pen": ("Fountain pen", 3900)}
USERS = {"alice": "wonderland", "bob": "builder"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} (Flask)</title></head>
<body data-user="{{ session.get('user', '') }}" data-served-by="flask">
<nav>
  <a href="/">Shop</a> · <a href="/cart" id="cart-link">Cart ({{ count }})</a> ·
  {% if session.get('user') %}
    <span id="who">{{ session['user'] }}</span>
    <form method="post" action="/go/logout" style="display:inline"><button id="logout">Log out</button></form>
  {% else %}<a href="/login" id="login-link">Log in</a>{% endif %}
</nav>
<h1>{{ title }} <small>(served by Flask)</small></h1>
{{ body|safe }}
</body></html>"""


def cart_count():
    return sum(int(q) for q in flask.session.get("cart", {}).values())


def render(title, body):
    return flask.render_template_string(PAGE, title=title, body=body, count=cart_count())


def create_app(args):
    app = flask.Flask(__name__)
    app.secret_key = args.secret
    if args.store == "redis":
        import redis
        from flask_session import Session

        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(args.redis),
                          SESSION_KEY_PREFIX=args.prefix, SESSION_USE_SIGNER=True)
        Session(app)
    elif args.store == "sql":
        from flask_session import Session
        from flask_sqlalchemy import SQLAlchemy

        app.config.update(SQLALCHEMY_DATABASE_URI=args.sql, SQLALCHEMY_TRACK_MODIFICATIONS=False)
        db = SQLAlchemy(app)
        app.config.update(SESSION_TYPE="sqlalchemy", SESSION_SQLALCHEMY=db,
                          SESSION_SQLALCHEMY_TABLE=args.table, SESSION_KEY_PREFIX=args.prefix,
                          SESSION_USE_SIGNER=True)
        Session(app)
        with app.app_context():
            db.create_all()

    @app.get("/")
    def shop():
        rows = "".join(
            f'<li id="product-{sku}">{name}, €{price / 100:.2f} '
            f'<form method="post" action="/go/cart/add" style="display:inline">'
            f'<input type="hidden" name="sku" value="{sku}">'
            f'<button data-add="{sku}">Add to cart</button></form></li>'
            for sku, (name, price) in PRODUCTS.items())
        return render("Shop", f"<ul>{rows}</ul>")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = ""
        if flask.request.method == "POST":
            name = flask.request.form.get("username", "")
            if USERS.get(name) and USERS[name] == flask.request.form.get("password"):
                flask.session["user"] = name
                flask.session.setdefault("cart", {})
                return flask.redirect("/")
            error = '<p id="error">Wrong user name or password.</p>'
        return render("Log in", error + """<form method="post">
  <input name="username" placeholder="user name"> <input name="password" type="password">
  <button id="login-submit">Log in</button></form>""")

    @app.get("/cart")
    def cart():
        items = flask.session.get("cart", {})
        if not items:
            return render("Cart", '<p id="cart-empty">Your cart is empty.</p>')
        rows = "".join(f'<tr data-sku="{sku}"><td>{PRODUCTS[sku][0]}</td><td class="qty">{int(q)}</td></tr>'
                       for sku, q in sorted(items.items()) if sku in PRODUCTS)
        return render("Cart", f'<table id="cart">{rows}</table>')

    return app


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--secret", required=True)
    p.add_argument("--store", choices=["cookie", "redis", "sql"], default="cookie")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--sql", default="sqlite:////tmp/flaskmigrate.db")
    p.add_argument("--table", default="sessions")
    p.add_argument("--prefix", default="session:")
    args = p.parse_args()
    srv = make_server("127.0.0.1", args.port, create_app(args), threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("READY", srv.socket.getsockname()[1], flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin: no orphans


if __name__ == "__main__":
    main()
