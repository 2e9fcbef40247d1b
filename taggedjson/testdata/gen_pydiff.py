#!/usr/bin/env python3
"""Generate pydiff.json: differential cases checked by pydiff_test.go.

Run from this directory with a Python that has Flask installed:

    python3 gen_pydiff.py > pydiff.json

Optional arguments SEED NDECODE NENCODE produce other (larger) runs; the
committed file uses the defaults.

Decode cases feed random (often malformed or oddly tagged) JSON text to
Flask's TaggedJSONSerializer.loads and record the result in the vector
file's typed notation, or that it raised. Encode cases record the exact
payload Flask writes for random sessions. The seed is fixed, so the output
only changes when this script or Python/Flask behaviour changes.
"""
import base64, datetime, json, math, random, struct, sys, uuid

from flask.json.tag import TaggedJSONSerializer
from markupsafe import Markup

import werkzeug.http
from importlib.metadata import version
rnd = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 20240229)
ser = TaggedJSONSerializer()
TAGS = [" di", " t", " b", " m", " u", " d"]


def typed(v):
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 - 1 else {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, list):
        return [typed(x) for x in v]
    if isinstance(v, tuple):
        return {"$tuple": [typed(x) for x in v]}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    if isinstance(v, datetime.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, dict):
        d = {k: typed(x) for k, x in v.items()}
        if len(d) == 1 and next(iter(d)).startswith("$"):
            return {"$dict": d}
        return d
    raise TypeError(type(v))


# ---------------------------------------------------------------- text gen

def ws():
    return rnd.choice(["", "", "", "", " ", "\n", "\t ", "\r\n  "])


CHARS = ["a", "Z", "0", " ", "é", "€", "日", "😀", "\x7f", "/", "<", "&", "'", "~", "\u2028", "_", "-"]
ESCAPES = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u001f",
           "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\ud83dx", "\\ud83d\\u0041",
           "\\udbff\\udfff", "\\uD800\\uDC00", "\\ufffd"]


def jstring(content=None):
    if content is None:
        parts = []
        for _ in range(rnd.randrange(0, 6)):
            parts.append(rnd.choice(ESCAPES) if rnd.random() < 0.3 else rnd.choice(CHARS))
        content = "".join(parts)
    return '"' + content + '"'


def py_str_literal(s):
    """JSON string literal for s, escaped differently at random."""
    if rnd.random() < 0.5:
        return json.dumps(s, ensure_ascii=rnd.random() < 0.5)
    return json.dumps(s, ensure_ascii=False)


def number():
    r = rnd.random()
    if r < 0.3:
        return str(rnd.randrange(-300, 300))
    if r < 0.4:
        return str(rnd.choice([2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64, 10**30, -10**19]))
    if r < 0.43:
        return rnd.choice(["1" * 4300, "-" + "9" * 4300, "1" * 4301, "0", "-0"])
    if r < 0.7:
        return rnd.choice(["1.5", "-0.0", "0.0", "1e5", "1E+5", "1e-5", "2.5e-3", "1e400", "-1e400",
                           "1e-400", "123456789012345678901234567890.5", "0.1", "1.0e16", "5e-324"])
    if r < 0.8:
        return rnd.choice(["NaN", "Infinity", "-Infinity"])
    f = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
    if math.isnan(f) or math.isinf(f):
        return "1.25"
    return repr(f)


DAY = ["Mon", "Tue,", "thu", "FRI,", "Sunday,", "Mon,Tue", "x,", ""]
MON = ["Jan", "feb", "DEC", "September", "may", "Xyz", "jun,", "\u212aan"]
TZ = ["GMT", "UT", "utc", "Z", "EST", "pdt", "+0000", "-0000", "+0530", "-1200", "+2400", "+2359",
      "-9999", "+99999999999999999", "+0", "-0", "", "XYZ", "+1_0", "e\ufb06", "0"]


def date_text():
    r = rnd.random()
    if r < 0.15:
        dt = datetime.datetime(rnd.randrange(1, 10000), rnd.randrange(1, 13), rnd.randrange(1, 29),
                               rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))
        return werkzeug.http.http_date(dt)
    day = rnd.choice(DAY)
    dd = rnd.choice(["01", "1", "31", "30", "29", "0", "32", "1_5", "\u0661\u0662", "15,", "-1"])
    mm = rnd.choice(MON)
    yy = rnd.choice(["2024", "0001", "0099", "99", "69", "68", "0", "-5", "10000", "2024,", "²024",
                     "99999999999", "1970", "9999", "-99999999999999999999"])
    tm = rnd.choice(["13:45:30", "00:00", "23:59:59", "24:00:00", "12.30", "12.30.15", "1:2:3:4",
                     "13:45:60", "-1:00:00", "13:45:30,", "99999999999:00:00", "12"])
    tz = rnd.choice(TZ)
    fields = [day, dd, mm, yy, tm, tz]
    if rnd.random() < 0.2:
        rnd.shuffle(fields)
    if rnd.random() < 0.1:
        fields = [f"{dd}-{mm}-{yy}", tm, tz]
    if rnd.random() < 0.1:
        fields = fields[: rnd.randrange(1, len(fields))]
    sep = rnd.choice([" ", "  ", "\t", "\u3000", " \x1c "])
    return sep.join(fields)


def uuid_text():
    u = uuid.UUID(int=rnd.getrandbits(128))
    return rnd.choice([u.hex, str(u), u.hex.upper(), "{" + str(u) + "}", "urn:uuid:" + str(u),
                       u.hex[:31], u.hex + "0", "0x" + u.hex[2:], " " + u.hex[1:], "-" + u.hex[1:],
                       "-" + "0" * 31, "+" + u.hex[1:], u.hex[:10] + "_" + u.hex[11:], "g" * 32,
                       "uuurn:id:" + u.hex, "{{" + u.hex + "}", "\u0661" + u.hex[1:], u.hex[:16] + "-" * 5 + u.hex[16:]])


def b64_text():
    data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 8)))
    s = base64.b64encode(data).decode()
    r = rnd.random()
    if r < 0.4:
        return s
    if r < 0.6:
        return s.rstrip("=")
    if r < 0.7:
        return s + "="
    i = rnd.randrange(len(s) + 1)
    return s[:i] + rnd.choice(["!", "=", "-", "_", " ", "\\n", "é", "==", "A"]) + s[i:]


def tag_payload(tag, depth):
    r = rnd.random()
    if r < 0.25:
        return value(depth + 1)
    if tag == " t":
        return rnd.choice([array(depth + 1), jstring(), obj(depth + 1), '{" b":"AAEC"}', '{" m":"ab"}'])
    if tag == " b":
        return jstring(b64_text()) if rnd.random() < 0.9 else '{" b":"UVVKRA=="}'
    if tag == " m":
        return rnd.choice([jstring(), number(), "true", "null", '{" u":"%s"}' % uuid.UUID(int=5).hex])
    if tag == " u":
        return py_str_literal(uuid_text()) if rnd.random() < 0.9 else '{" m":"%s"}' % uuid.UUID(int=7).hex
    if tag == " d":
        if rnd.random() < 0.85:
            return py_str_literal(date_text())
        return rnd.choice(["0", "0.0", "false", "[]", "{}", "null", '{" b":""}', '{" b":"eA=="}', '{" t":[]}', "1", "[1]"])
    if tag == " di":
        keys = ["a__", " t__", " di__", "x", "", "é__", "😀", "ab", " b__", "k__"]
        n = rnd.randrange(0, 4)
        members = [py_str_literal(rnd.choice(keys)) + ":" + value(depth + 1) for _ in range(n)]
        return "{" + ",".join(members) + "}"
    return value(depth + 1)


def tagged(depth):
    tag = rnd.choice(TAGS)
    return "{" + ws() + json.dumps(tag) + ws() + ":" + ws() + tag_payload(tag, depth) + ws() + "}"


def array(depth):
    n = rnd.randrange(0, 4)
    return "[" + ws() + ("," + ws()).join(value(depth + 1) for _ in range(n)) + ws() + "]"


def obj(depth):
    n = rnd.randrange(0, 4)
    keys = ["a", "b", "a", " t", " di", "é", "\\u00e9", "", "$x", "k"]
    members = []
    for _ in range(n):
        members.append(jstring(rnd.choice(keys)) + ws() + ":" + ws() + value(depth + 1))
    return "{" + ws() + ("," + ws()).join(members) + ws() + "}"


def value(depth=0):
    if depth > 5:
        return rnd.choice(["1", "null", jstring()])
    r = rnd.random()
    if r < 0.15:
        return number()
    if r < 0.3:
        return jstring()
    if r < 0.35:
        return rnd.choice(["true", "false", "null"])
    if r < 0.5:
        return array(depth)
    if r < 0.65:
        return obj(depth)
    return tagged(depth)


def mutate(text):
    b = bytearray(text.encode("utf-8"))
    for _ in range(rnd.randrange(1, 3)):
        op = rnd.random()
        i = rnd.randrange(len(b) + 1)
        if op < 0.4 and b:
            del b[min(i, len(b) - 1)]
        elif op < 0.8:
            b[i:i] = bytes([rnd.choice(b'{}[]:,"\\ x0-.eE\x00\x1f\xff\xc3\xed')])
        else:
            b[i:i] = "é".encode()[:1]
    return bytes(b)


def decode_case(raw):
    case = {"input_b64": base64.b64encode(raw).decode()}
    try:
        v = ser.loads(raw.decode("utf-8"))
        case["ok"] = True
        case["typed"] = typed(v)
    except Exception as e:  # noqa: BLE001 - any exception is a Flask 500
        case["ok"] = False
        case["error"] = type(e).__name__
    return case


# ---------------------------------------------------------------- sessions

def rstr():
    pool = ["a", "b", " ", "é", "\u2028", "\x00", "\x1f", "\x7f", "\"", "\\", "/", "<", ">", "&", "'",
            "\t", "\n", "\r", "\b", "\f", "😀", "\U0010ffff", "\uffff", "日"]
    return "".join(rnd.choice(pool) for _ in range(rnd.randrange(0, 8)))


def rval(depth=0):
    r = rnd.random()
    if depth > 3:
        r = r * 0.5
    if r < 0.08:
        return rnd.choice([0, 1, -1, 42, 2**53, -2**63 - 1, 2**64, 10**100, -(10**40)])
    if r < 0.16:
        f = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
        return rnd.choice([f, 1.0, -0.0, 0.1, 1e16, 1e-5, 1e22, 123456789.125, float("inf"), float("-inf"), float("nan"), 5e-324])
    if r < 0.26:
        return rstr()
    if r < 0.3:
        return rnd.choice([True, False, None])
    if r < 0.34:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 10)))
    if r < 0.37:
        return uuid.UUID(int=rnd.getrandbits(128))
    if r < 0.41:
        dt = datetime.datetime(rnd.randrange(2, 9999), rnd.randrange(1, 13), rnd.randrange(1, 29),
                               rnd.randrange(24), rnd.randrange(60), rnd.randrange(60), rnd.randrange(10**6))
        if rnd.random() < 0.5:
            dt = dt.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=rnd.randrange(-1439, 1440))))
        return dt
    if r < 0.44:
        return Markup(rstr())
    if r < 0.58:
        return tuple(rval(depth + 1) for _ in range(rnd.randrange(0, 4)))
    if r < 0.72:
        return [rval(depth + 1) for _ in range(rnd.randrange(0, 4))]
    return rdict(depth + 1)


def rdict(depth=0):
    r = rnd.random()
    if r < 0.25:
        return {rnd.choice(TAGS + ["$x", " x"]): rval(depth + 1)}
    keys = ["a", "B", "_x", "10", "9", "é", "😀", "\uffff", "", " t", " di", "a b", "$k", rstr()]
    return {rnd.choice(keys): rval(depth + 1) for _ in range(rnd.randrange(0, 5))}


def encode_case():
    while True:
        s = rdict()
        try:
            text = json.dumps(ser.tag(s), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
        except (OverflowError, ValueError):
            continue
        return {"session": typed(s), "json": text}


def main():
    cases = {"generator": {"python": sys.version.split()[0], "flask": version("flask"),
                           "werkzeug": version("werkzeug"), "markupsafe": version("markupsafe")},
             "decode": [], "encode": []}
    fixed = [b'{"a":1}', b' {"a" : [1 , 2] } ', b'{"a":1,"a":2}', b'[1]', b'{" t":[1]}', b'\xef\xbb\xbf{}',
             b'{"a":"\xff"}', b'{"a":"\xed\xa0\x80"}', b'{"a":1}x', b'', b'{"a":01}', b'{"a":1.}', b'{"a":.5}',
             b'{"a":1e}', b'{"a":-}', b'{"a":"\x7f"}', b'{"a":"\x1f"}', b'{"a":[1,]}', b'{"a":1,}', b'{"a":NaN}',
             b'{"a":-NaN}', b'{"a":infinity}', b'{"a":"\\x"}', b'{"a":"\\u12"}', b'{"a":"\\ud800\\u12"}',
             b'{" di":{}}', b'{" di":[]}', b'{" di":{"a__":1,"b__":2,"a__":3}}', b'{" t":{"b":1,"a":2,"b":3}}',
             b'{" t":{"x":1}}', b'{" t":"h\\u00e9\\ud83d\\ude00"}', b'{" t":5}', b'{" b":"\\u00e9"}', b'{" b":5}',
             b'{" u":5}', b'{" m":[1]}', b'{" m":{" d":"Mon, 01 Jan 2024 00:00:00 GMT"}}', b'{" d":1}', b'{" d":[1]}',
             b'{" t":[1]," t":{"a":1,"b":2}}', b'{" di":{" di":{"abc__":1}}}', b'{" t":{" di":{" t__":1}}}']
    for raw in fixed:
        cases["decode"].append(decode_case(raw))
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1400):
        text = "{" + ws() + jstring(rnd.choice(["a", " t", "k"])) + ":" + value() + ws() + "}" if rnd.random() < 0.3 else value()
        raw = text.encode("utf-8", "surrogatepass")
        if rnd.random() < 0.15:
            raw = mutate(text)
        cases["decode"].append(decode_case(raw))
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 300):
        cases["encode"].append(encode_case())
    json.dump(cases, sys.stdout, ensure_ascii=True, indent=0, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
