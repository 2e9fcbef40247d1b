#!/usr/bin/python3
"""Times Flask's own session cookie codec on the benchmark's typical session.

Run with Debian's /usr/bin/python3 (Flask 2.2). Prints one JSON line:
{"decode_ns": ..., "encode_ns": ..., "cookie": "...", "loops": {...}}

decode = SecureCookieSessionInterface's serializer .loads(cookie, max_age)
(signature check + base64 + zlib + tagged-JSON decode); encode = .dumps(session).
Both run inside a request context, as in Flask, so the app's JSON provider
(sorted keys, ASCII) applies.
"""
import json
import sys
import timeit

import flask
from flask.sessions import SecureCookieSessionInterface

secret, csrf, user_id = sys.argv[1], sys.argv[2], sys.argv[3]
budget = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0  # seconds per measurement

app = flask.Flask("bench")
app.secret_key = secret
session = {
    "_permanent": True,
    "_user_id": user_id,
    "cart": {"sku-1": 2, "sku-7": 1},
    "csrf": csrf,
    "theme": "dark",
}

with app.test_request_context():
    s = SecureCookieSessionInterface().get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    cookie = s.dumps(session)
    assert s.loads(cookie, max_age=max_age) == session

    def best(fn):
        t = timeit.Timer(fn)
        n, _ = t.autorange()  # loops that take >= 0.2 s
        repeat = max(1, int(budget / 0.2))
        return min(t.repeat(repeat=repeat, number=n)) / n * 1e9, n

    dec, dn = best(lambda: s.loads(cookie, max_age=max_age))
    enc, en = best(lambda: s.dumps(session))

print(json.dumps({"decode_ns": dec, "encode_ns": enc, "cookie": cookie, "loops": {"decode": dn, "encode": en}}))
