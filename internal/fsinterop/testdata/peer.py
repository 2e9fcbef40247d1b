#!/usr/bin/python3
"""A real Flask app using Debian's Flask-Session 0.3.2 on any of its
backends, for the live interop tests (package internal/fsinterop).

Run it with Debian's interpreter (Flask 2.2, Flask-Session 0.3.2, and the
backend's client: python3-redis, python3-pymemcache, python3-cachelib,
python3-flask-sqlalchemy with python3-psycopg2 / python3-pymysql):

    /usr/bin/python3 peer.py --secret KEY --prefix PREFIX [--signer] [--port 0]
        --type redis      [--redis 127.0.0.1:6379/0]
        --type memcached  [--memcached 127.0.0.1:11211]
        --type filesystem --dir DIR [--threshold 500]
        --type sqlalchemy --sql URI [--table sessions] [--create]

It listens on 127.0.0.1, prints "READY <port>" once the socket accepts
connections, and serves until its stdin closes or it is killed.

Session values cross the wire in the typed JSON of
testdata/flask-session-legacy.json: {"$dict": [[k, v], ...]}, {"$tuple": [...]},
{"$set": [...]}, {"$bytes": "<base64>"}, {"$float": "<repr>"},
{"$datetime": "<isoformat>"}, {"$date": "..."}, {"$uuid": "..."},
{"$markup": "..."}; integers are plain JSON numbers of any size.

Endpoints (all run through Flask-Session's real session interface):

    GET  /dump      {"session": typed dict, "permanent": bool, "sid": str}
    POST /set       body: typed dict; session.update(body); then as /dump
    POST /flash     ?msg=&cat=  flask.flash(msg, cat); then as /dump
    GET  /flashes   {"flashes": [[cat, msg], ...]} from get_flashed_messages
    POST /clear     session.clear()
"""

import argparse
import base64
import datetime
import json
import logging
import sys
import threading
import uuid

import flask
from flask_session import Session
from markupsafe import Markup
from werkzeug.serving import make_server


def to_typed(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if isinstance(v, (str, int)):
        return v
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, tuple):
        return {"$tuple": [to_typed(x) for x in v]}
    if isinstance(v, list):
        return [to_typed(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"$set": [to_typed(x) for x in v]}
    if isinstance(v, dict):
        return {"$dict": [[to_typed(k), to_typed(x)] for k, x in v.items()]}
    if isinstance(v, datetime.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    raise TypeError("peer: cannot type %s" % type(v).__name__)


def from_typed(v):
    if isinstance(v, list):
        return [from_typed(x) for x in v]
    if not isinstance(v, dict):
        return v
    (k, x), = v.items()
    if k == "$dict":
        return {from_typed(kk): from_typed(xx) for kk, xx in x}
    if k == "$tuple":
        return tuple(from_typed(i) for i in x)
    if k == "$set":
        return set(from_typed(i) for i in x)
    if k == "$bytes":
        return base64.b64decode(x)
    if k == "$float":
        return float(x)
    if k == "$datetime":
        if x.endswith("Z"):
            x = x[:-1] + "+00:00"
        return datetime.datetime.fromisoformat(x)
    if k == "$date":
        return datetime.date.fromisoformat(x)
    if k == "$uuid":
        return uuid.UUID(x)
    if k == "$markup":
        return Markup(x)
    raise ValueError("peer: unknown typed marker %r" % k)


def configure(app, args):
    """Points Flask-Session at the backend args name."""
    app.config.update(SESSION_TYPE=args.type)
    if args.type == "redis":
        import redis

        addr, _, db = args.redis.partition("/")
        host, port = addr.rsplit(":", 1)
        app.config.update(SESSION_REDIS=redis.Redis(host=host, port=int(port), db=int(db or 0)))
    elif args.type == "memcached":
        from pymemcache.client.base import Client

        host, port = args.memcached.rsplit(":", 1)
        # pymemcache sends writes without waiting for the reply by default, so
        # Flask answers before memcached has applied its set; a Go request on
        # another connection can then be applied first and be overwritten.
        app.config.update(SESSION_MEMCACHED=Client((host, int(port)), default_noreply=False))
    elif args.type == "filesystem":
        app.config.update(SESSION_FILE_DIR=args.dir, SESSION_FILE_THRESHOLD=args.threshold)
    elif args.type == "sqlalchemy":
        from flask_sqlalchemy import SQLAlchemy

        app.config.update(SQLALCHEMY_DATABASE_URI=args.sql, SQLALCHEMY_TRACK_MODIFICATIONS=False)
        db = SQLAlchemy(app)
        app.config.update(SESSION_SQLALCHEMY=db, SESSION_SQLALCHEMY_TABLE=args.table)
        return db
    return None


def create_app(args):
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=args.secret, SESSION_KEY_PREFIX=args.prefix, SESSION_USE_SIGNER=args.signer)
    db = configure(app, args)
    Session(app)
    if db is not None and args.create:
        with app.app_context():
            db.create_all()  # Flask-Session 0.3.2 leaves the table to the app

    def dump():
        s = flask.session
        return flask.jsonify(session=to_typed(dict(s)), permanent=s.permanent, sid=s.sid)

    @app.get("/dump")
    def _dump():
        return dump()

    @app.post("/set")
    def _set():
        flask.session.update(from_typed(flask.request.get_json()))
        return dump()

    @app.post("/flash")
    def _flash():
        flask.flash(flask.request.args["msg"], flask.request.args.get("cat", "message"))
        return dump()

    @app.get("/flashes")
    def _flashes():
        return flask.jsonify(flashes=[list(f) for f in flask.get_flashed_messages(with_categories=True)])

    @app.post("/clear")
    def _clear():
        flask.session.clear()
        return "", 204

    return app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--signer", action="store_true")
    ap.add_argument("--type", choices=["redis", "memcached", "filesystem", "sqlalchemy"], default="redis")
    ap.add_argument("--redis", default="127.0.0.1:6379/0")
    ap.add_argument("--memcached", default="127.0.0.1:11211")
    ap.add_argument("--dir", default="")
    ap.add_argument("--threshold", type=int, default=500)
    ap.add_argument("--sql", default="")
    ap.add_argument("--table", default="sessions")
    ap.add_argument("--create", action="store_true", help="sqlalchemy: create the table (db.create_all)")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = make_server("127.0.0.1", args.port, create_app(args), threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("READY", srv.socket.getsockname()[1], flush=True)
    # Serve until the parent closes our stdin (or kills us): no orphans.
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
