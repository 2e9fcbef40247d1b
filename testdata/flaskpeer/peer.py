#!/usr/bin/python3
"""A real Flask application that the Go interop tests talk to over HTTP.

Run it with Debian's interpreter (the one that has Flask 2.2):

    /usr/bin/python3 peer.py --secret KEY [--fallback OLDKEY ...] [--port 0]

It listens on 127.0.0.1, prints "READY <port>" on stdout once the socket
accepts connections, and serves until its stdin closes or it is killed.

Session values cross the wire in the "typed" JSON form of
testdata/flask-cookies.json (typed_value_encoding): {"$tuple": [...]},
{"$bytes": "..."}, {"$uuid": "..."}, {"$datetime": "..."}, {"$markup": "..."},
{"$float": "<repr>"}, {"$int": "<digits>"}, {"$dict": {...}}.

Flask 2.2 has no SECRET_KEY_FALLBACKS, so --fallback emulates Flask >= 3.1.1
the way the spec (flask-cookie-format.md section 9) describes: itsdangerous is
given the key list fallbacks + [secret]; it signs with the last key and
verifies with any.

A request may carry "X-Peer-Now: <unix seconds>" to freeze the clock Flask
signs with, checks max-age against and computes Expires from, so the Go tests
can compare cookies byte for byte.

Endpoints (every one runs through Flask's real session machinery):

    GET  /dump          {"session": typed session, "permanent": bool}
    POST /set           body: typed object; session.update(body)
    POST /replace       body: typed object; session.clear(); session.update(body)
    POST /flash         ?msg=&cat=  flask.flash(msg, cat)
    GET  /flashes       get_flashed_messages(with_categories=True) and the
                        session left afterwards
    POST /permanent     ?value=true|false  session.permanent = value
    POST /roundtrip     body: {"cookies": [...]}; for each cookie, what
                        Flask's session interface decodes (typed) and the
                        cookie Flask signs for that data
    POST /generate      body: {"seed": int, "count": int}; random sessions
                        made in Python, with the cookies Flask signs for them
"""

import argparse
import base64
import datetime
import math
import logging
import random
import struct
import sys
import threading
import uuid

import flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from markupsafe import Markup
from werkzeug.serving import make_server

MAX_SAFE = 2**53 - 1


# ---------------------------------------------------------------- typed JSON


def to_typed(v):
    """Python session value -> typed JSON value."""
    if v is None or isinstance(v, (bool, str)) and not isinstance(v, Markup):
        return v
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if isinstance(v, int):
        if -MAX_SAFE <= v <= MAX_SAFE:
            return v
        return {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, tuple):
        return {"$tuple": [to_typed(x) for x in v]}
    if isinstance(v, list):
        return [to_typed(x) for x in v]
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode("ascii")}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            return {"$datetime": v.isoformat()}
        if v.utcoffset() == datetime.timedelta(0):
            return {"$datetime": v.replace(tzinfo=None).isoformat() + "Z"}
        return {"$datetime": v.isoformat()}
    if isinstance(v, dict):
        out = {str(k): to_typed(x) for k, x in v.items()}
        if len(out) == 1 and next(iter(out)).startswith("$"):
            return {"$dict": out}
        return out
    raise TypeError(f"peer: cannot type {type(v).__name__}")


def from_typed(v):
    """Typed JSON value -> Python session value."""
    if isinstance(v, list):
        return [from_typed(x) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        (k, x), = v.items()
        if k == "$tuple":
            return tuple(from_typed(i) for i in x)
        if k == "$bytes":
            return base64.b64decode(x)
        if k == "$uuid":
            return uuid.UUID(x)
        if k == "$datetime":
            if x.endswith("Z"):
                x = x[:-1] + "+00:00"
            return datetime.datetime.fromisoformat(x)
        if k == "$markup":
            return Markup(x)
        if k == "$float":
            return float(x)
        if k == "$int":
            return int(x)
        if k == "$dict":
            return {kk: from_typed(xx) for kk, xx in x.items()}
    return {k: from_typed(x) for k, x in v.items()}


# ------------------------------------------------------------- the app


class FrozenTimestampSigner(TimestampSigner):
    """Signs and checks ages at X-Peer-Now when the request carries it."""

    def get_timestamp(self):
        now = frozen_now()
        return now if now is not None else super().get_timestamp()


def frozen_now():
    if flask.has_request_context():
        v = flask.request.headers.get("X-Peer-Now")
        if v:
            return int(v)
    return None


class PeerSessionInterface(SecureCookieSessionInterface):
    """Flask's own cookie session interface with two test hooks: key
    fallbacks (Flask >= 3.1.1 semantics) and a frozen clock."""

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = list(app.config["PEER_FALLBACKS"]) + [app.secret_key]
        return URLSafeTimedSerializer(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer=FrozenTimestampSigner,
            signer_kwargs=dict(
                key_derivation=self.key_derivation, digest_method=self.digest_method
            ),
        )

    def get_expiration_time(self, app, session):
        now = frozen_now()
        if now is None or not session.permanent:
            return super().get_expiration_time(app, session)
        start = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        return start + app.permanent_session_lifetime


def create_app(secret, fallbacks):
    app = flask.Flask("flaskpeer")
    app.secret_key = secret
    app.config["PEER_FALLBACKS"] = fallbacks
    app.session_interface = PeerSessionInterface()
    session = flask.session

    def dump():
        return {"session": to_typed(dict(session)), "permanent": session.permanent}

    @app.get("/dump")
    def dump_view():
        return dump()

    @app.post("/set")
    def set_view():
        session.update(from_typed(flask.request.get_json(force=True)))
        return dump()

    @app.post("/replace")
    def replace_view():
        session.clear()
        session.update(from_typed(flask.request.get_json(force=True)))
        return dump()

    @app.post("/flash")
    def flash_view():
        args = flask.request.args
        flask.flash(args.get("msg", ""), args.get("cat", "message"))
        return dump()

    @app.get("/flashes")
    def flashes_view():
        got = flask.get_flashed_messages(with_categories=True)
        return {"flashes": [list(f) for f in got], **dump()}

    @app.post("/permanent")
    def permanent_view():
        session.permanent = flask.request.args.get("value", "true") == "true"
        return dump()

    @app.post("/roundtrip")
    def roundtrip_view():
        si = app.session_interface
        s = si.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        out = []
        for cookie in flask.request.get_json(force=True)["cookies"]:
            try:
                data = s.loads(cookie, max_age=max_age)
            except BadSignature as e:
                out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
                continue
            out.append({"ok": True, "session": to_typed(data), "cookie": s.dumps(data)})
        return {"results": out}

    @app.post("/generate")
    def generate_view():
        body = flask.request.get_json(force=True)
        rng = random.Random(body["seed"])
        s = app.session_interface.get_signing_serializer(app)
        out = []
        for _ in range(body["count"]):
            data = gen_session(rng)
            out.append({"session": to_typed(data), "cookie": s.dumps(data)})
        return {"results": out}

    return app


# ------------------------------------------------ random sessions (Python side)

TAG_KEYS = [" di", " t", " b", " m", " u", " d"]


def gen_str(rng, maxlen=12):
    pools = [
        (0x20, 0x7E),  # printable ASCII
        (0x00, 0x1F),  # controls
        (0x7F, 0xFF),  # DEL and Latin-1
        (0x100, 0xD7FF),  # BMP below the surrogates
        (0xE000, 0xFFFF),  # BMP above them
        (0x10000, 0x10FFFF),  # astral
    ]
    chars = []
    for _ in range(rng.randrange(maxlen + 1)):
        lo, hi = pools[rng.randrange(len(pools))] if rng.random() < 0.4 else pools[0]
        chars.append(chr(rng.randint(lo, hi)))
    return "".join(chars)


def gen_float(rng):
    r = rng.random()
    if r < 0.15:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, 1e16, 5e-324, 1e-5, 0.1, 1.0])
    if r < 0.5:
        # Any bit pattern: subnormals, huge exponents, NaN payloads.
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    return rng.uniform(-1e6, 1e6)


def gen_int(rng):
    r = rng.random()
    if r < 0.5:
        return rng.randint(-1000, 1000)
    if r < 0.8:
        return rng.randint(-(2**63), 2**63 - 1)
    bits = rng.choice([64, 65, 100, 200, 1000])
    return rng.randint(-(2**bits), 2**bits)


def gen_value(rng, depth):
    kinds = ["str", "int", "float", "bool", "none", "bytes", "uuid", "datetime", "markup"]
    if depth < 3:
        kinds += ["list", "tuple", "dict", "dict", "tagdict"]
    k = rng.choice(kinds)
    if k == "str":
        return gen_str(rng)
    if k == "int":
        return gen_int(rng)
    if k == "float":
        return gen_float(rng)
    if k == "bool":
        return rng.random() < 0.5
    if k == "none":
        return None
    if k == "bytes":
        return rng.randbytes(rng.randrange(20))
    if k == "uuid":
        return uuid.UUID(int=rng.getrandbits(128))
    if k == "datetime":
        # Years 1900..2200: earlier years hit Python's two-digit-year rule.
        ts = rng.randint(-2208988800, 7258118400)
        return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    if k == "markup":
        return Markup(gen_str(rng))
    if k == "list":
        return [gen_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if k == "tuple":
        return tuple(gen_value(rng, depth + 1) for _ in range(rng.randrange(4)))
    if k == "tagdict":
        # A single-key dict whose key is a tag key: Flask escapes it with " di".
        return {rng.choice(TAG_KEYS + ["$tuple", "$x"]): gen_value(rng, depth + 1)}
    return {gen_str(rng, 6): gen_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def gen_session(rng):
    n = rng.randrange(1, 6)
    data = {}
    for _ in range(n):
        data[gen_str(rng, 8)] = gen_value(rng, 0)
    if rng.random() < 0.05:
        data = {rng.choice(TAG_KEYS): gen_value(rng, 1)}
    return data


# ------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--fallback", action="append", default=[])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    # The Go test reads stdout for READY; keep request logs off stderr noise.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(args.secret, args.fallback)
    srv = make_server("127.0.0.1", args.port, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    print("READY", srv.socket.getsockname()[1], flush=True)
    # Serve until the parent closes our stdin (or kills us): no orphans.
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
