#!/usr/bin/python3
"""Python side of the flasksession tests (run with Debian's /usr/bin/python3).

    pypickle.py gen       print pickles of sample sessions in protocols 0-5
                          (saved as python_pickles.json; the Go tests read it)
    pypickle.py loads     stdin: JSON list of base64 pickles; stdout: JSON list
                          of {"typed": value} or {"error": "..."}
    pypickle.py msgpack   stdin: JSON list of base64 MessagePack; stdout: JSON
                          list of {"typed": value, "repacked_b64": ...} or
                          {"error": ...}; needs python3-msgpack

Values are written in the typed JSON of testdata/flask-session-legacy.json
(typed_json_schema), plus {"$uuid": "8-4-4-4-12"} and {"$markup": "..."}.
Dicts are always {"$dict": [[key, value], ...]}; sets list their elements in
iteration order, which is the order a pickle stores them in.
"""

import base64
import datetime
import json
import pickle
import sys
import uuid

from markupsafe import Markup


def to_typed(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if isinstance(v, str):
        return v
    if isinstance(v, int):
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
    raise TypeError("cannot type %s" % type(v).__name__)


def samples():
    shared = [1, "shared"]
    utc = datetime.timezone.utc
    yield "scalars", {
        "_permanent": True,
        "none": None, "yes": True, "no": False,
        "ints": [0, 1, 127, 128, 255, 256, 65535, 65536, -1, -128, -129, -32768, -32769,
                 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**63, 2**64,
                 -2**64, 2**100, -(10**50)],
        "floats": [0.0, -0.0, 1.5, -2.25, 1e100, 5e-324, 1.7976931348623157e308,
                   float("inf"), float("-inf"), 3.14159],
        "text": ["", "a", "h\u00e9llo \u2603 \U0001F600", "back\\slash", "new\nline",
                 "latin \xff\xe9", "x" * 300, "\u0000nul", "tab\there", "quote'\""],
    }
    yield "containers", {
        "tuples": [(), (1,), (1, "a"), (1, 2, 3), (1, 2, 3, 4), ((1, 2), [3])],
        "nested": {"a": [1, 2, {"b": None}], "c": {"d": "e"}, "$x": 1},
        "empty": {"list": [], "dict": {}},
        "long_list": list(range(1200)),
        "sets": [{5}, frozenset({7}), set(), frozenset(), {"x"}],
        "shared": [shared, shared, {"again": shared}],
    }
    yield "binary", {
        "blob": bytes(range(256)),
        "empty_bytes": b"",
        "bytearray": bytearray(b"\x00\xff"),
        "bytes_in_tuple": (b"a", b"\x80"),
    }
    yield "times", {
        "naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
        "utc": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc),
        "plus0530": datetime.datetime(2024, 6, 30, 23, 59, 59, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
        "minus8": datetime.datetime(1969, 12, 31, 16, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-8))),
        "named_tz": datetime.datetime(2000, 2, 29, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1), "CET")),
        "min": datetime.datetime(1, 1, 1),
        "max": datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
        "day": datetime.date(2024, 2, 29),
    }
    yield "objects", {
        "markup": Markup("<b>bold</b> &amp;"),
        "markup_list": [Markup(""), Markup("\u2603")],
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "uuid_safe": uuid.UUID(int=2**128 - 1, is_safe=uuid.SafeUUID.safe),
        "uuid_zero": uuid.UUID(int=0),
    }
    yield "flashes", {
        "_permanent": True,
        "_flashes": [("success", "Saved!"), ("message", "plain message")],
    }


def gen():
    cases = []
    for name, value in samples():
        for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
            cases.append({
                "name": "%s/protocol-%d" % (name, proto),
                "protocol": proto,
                "pickle_b64": base64.b64encode(pickle.dumps(value, protocol=proto)).decode("ascii"),
                "typed": to_typed(value),
            })
    json.dump({
        "generated_by": "testdata/pypickle.py gen, CPython %s, markupsafe %s" % (
            sys.version.split()[0], __import__("markupsafe").__version__),
        "cases": cases,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


def loads():
    out = []
    for b64 in json.load(sys.stdin):
        try:
            out.append({"typed": to_typed(pickle.loads(base64.b64decode(b64)))})
        except Exception as e:  # report, the Go side decides
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


def msgpack_roundtrip():
    import msgpack
    out = []
    for b64 in json.load(sys.stdin):
        try:
            v = msgpack.unpackb(base64.b64decode(b64), raw=False, timestamp=3, strict_map_key=False)
            packed = msgpack.packb(v, use_bin_type=True, datetime=True)
            out.append({"typed": to_typed(v), "repacked_b64": base64.b64encode(packed).decode("ascii")})
        except Exception as e:
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    {"gen": gen, "loads": loads, "msgpack": msgpack_roundtrip}[sys.argv[1]]()
