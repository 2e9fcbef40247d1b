# The Flask server of the HTTP load benchmark: Flask's default signed-cookie
# session, the same routes as the Go servers (see app.go).
import os

from flask import Flask, make_response, request, session

app = Flask(__name__)
app.secret_key = os.environ["BENCH_SECRET"]


@app.route("/seed")
def seed():
    session.update({"_user_id": "42", "csrf": "9f86d081884c7d659a2feaa0c55ad015",
                    "theme": "dark", "i": int(request.args["i"]), "n": 0})
    return "0"


@app.route("/write")
def write():
    n = session.get("n", 0) + 1
    session["n"] = n
    resp = make_response(str(n))
    resp.headers["X-Sess"] = str(session.get("i", -1))
    resp.headers["X-Count"] = str(n)
    return resp


@app.route("/read")
@app.route("/count")
def read():
    return str(session.get("n", 0))
