#!/usr/bin/python3
"""Debian's Flask-Session 0.3.2 as a peer of the --flask-session tests of
sessionctl (flasksession_test.go).

    /usr/bin/python3 fspeer.py --type redis|memcached|filesystem|sqlalchemy \
        [--redis host:port/db] [--memcached host:port] [--dir DIR]
        [--uri SQLALCHEMY_URI --table T --create]

It reads one JSON request per line on stdin and answers each with one JSON
line on stdout, until stdin closes. Every request runs through Flask-Session's
own session interface inside a request context, so the records it reads and
writes are exactly Flask's:

    {"op": "read", "prefix": P, "sid": S}
        -> {"session": typed dict}   (a missing session reads {"_permanent": true})
    {"op": "write", "prefix": P, "sid": S, "session": typed dict}
        -> {"sid": S}                session.update(...), then save_session
    failure -> {"error": "..."}

--create (sqlalchemy) first creates the table as Flask-SQLAlchemy does. It
prints "READY" once set up.

The typed form is the one of package typedjson (sessionctl --typed):
{"$tuple": [...]}, {"$bytes": "<base64>"}, {"$int": "<digits>"},
{"$float": "<repr>"}, {"$datetime": "<ISO 8601>"}, {"$uuid": "..."},
{"$markup": "..."}, {"$dict": {...}} for a dict whose only key starts with $.
"""

import argparse
import base64
import datetime
import json
import sys
import uuid

import flask
from flask_session import Session
from markupsafe import Markup

SAFE = 2**53 - 1


def to_typed(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, tuple):
        return {"$tuple": [to_typed(x) for x in v]}
    if isinstance(v, (list, set, frozenset)):
        return [to_typed(x) for x in v]
    if isinstance(v, dict):
        out = {k: to_typed(x) for k, x in v.items()}
        if len(out) == 1 and next(iter(out)).startswith("$"):
            return {"$dict": out}
        return out
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        s = v.isoformat()
        return {"$datetime": s.replace("+00:00", "Z")}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    raise TypeError("fspeer: cannot type %s" % type(v).__name__)


def from_typed(v):
    if isinstance(v, list):
        return [from_typed(x) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        (k, x), = v.items()
        if k == "$dict":
            return {kk: from_typed(xx) for kk, xx in x.items()}
        if k == "$tuple":
            return tuple(from_typed(i) for i in x)
        if k == "$bytes":
            return base64.b64decode(x)
        if k == "$int":
            return int(x)
        if k == "$float":
            return float(x)
        if k == "$datetime":
            if x.endswith("Z"):
                x = x[:-1] + "+00:00"
            return datetime.datetime.fromisoformat(x)
        if k == "$uuid":
            return uuid.UUID(x)
        if k == "$markup":
            return Markup(x)
    return {k: from_typed(x) for k, x in v.items()}


def create_app(args, prefix):
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="fspeer", SESSION_TYPE=args.type, SESSION_KEY_PREFIX=prefix)
    db = None
    if args.type == "redis":
        import redis
        app.config["SESSION_REDIS"] = redis.Redis.from_url("redis://" + args.redis)
    elif args.type == "memcached":
        from pymemcache.client.base import Client
        host, port = args.memcached.rsplit(":", 1)
        app.config["SESSION_MEMCACHED"] = Client((host, int(port)))
    elif args.type == "filesystem":
        app.config["SESSION_FILE_DIR"] = args.dir
    elif args.type == "sqlalchemy":
        from flask_sqlalchemy import SQLAlchemy
        app.config["SQLALCHEMY_DATABASE_URI"] = args.uri
        app.config["SESSION_SQLALCHEMY_TABLE"] = args.table
        db = SQLAlchemy(app)
        app.config["SESSION_SQLALCHEMY"] = db
    Session(app)
    return app, db


def handle(apps, args, req):
    prefix = req["prefix"]
    if prefix not in apps:
        apps[prefix] = create_app(args, prefix)[0]
    app = apps[prefix]
    iface = app.session_interface
    with app.test_request_context("/", headers={"Cookie": "session=" + req["sid"]}):
        s = iface.open_session(app, flask.request)
        if req["op"] == "read":
            return {"session": to_typed(dict(s))}
        if req["op"] == "write":
            s.update(from_typed(req["session"]))
            iface.save_session(app, s, app.response_class())
            return {"sid": s.sid}
    raise ValueError("unknown op %r" % req["op"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--type", required=True)
    ap.add_argument("--redis", default="127.0.0.1:6379/0")
    ap.add_argument("--memcached", default="127.0.0.1:11211")
    ap.add_argument("--dir")
    ap.add_argument("--uri")
    ap.add_argument("--table", default="sessions")
    ap.add_argument("--create", action="store_true")
    args = ap.parse_args()
    apps = {}
    if args.create:
        app, db = create_app(args, "")
        with app.app_context():
            db.create_all()
    print("READY", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = handle(apps, args, json.loads(line))
        except Exception as e:  # the test shows it
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
