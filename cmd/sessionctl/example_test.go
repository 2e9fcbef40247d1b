package main

import (
	"bytes"
	"os"
	"strings"
)

// Decoding a cookie Flask wrote for session["user_id"] = 42, verified with
// the application's secret key at a fixed clock.
func Example_decode() {
	run([]string{"decode", "--secret", "public-test-secret-1", "--now", "1700000060",
		"eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8"}, nil, os.Stdout, os.Stdout)
	// Output: {"user_id":42}
}

// Signing a session given in the typed form, then reading it back: tuples,
// bytes and the other Python types survive the round trip.
func Example_sign() {
	session := `{"_flashes": [{"$tuple": ["message", "Welcome back"]}], "token": {"$bytes": "AAEC"}}`
	var cookie bytes.Buffer
	run([]string{"sign", "--typed", "--secret", "k", "--timestamp", "1700000000"},
		strings.NewReader(session), &cookie, os.Stdout)
	c := cookie.String()
	os.Stdout.WriteString(c)
	run([]string{"decode", "--typed", "--secret", "k", "--now", "1700000000", "-"}, strings.NewReader(c), os.Stdout, os.Stdout)
	run([]string{"decode", "--secret", "k", "--now", "1700000000", "-"}, strings.NewReader(c), os.Stdout, os.Stdout)
	// Output:
	// eyJfZmxhc2hlcyI6W3siIHQiOlsibWVzc2FnZSIsIldlbGNvbWUgYmFjayJdfV0sInRva2VuIjp7IiBiIjoiQUFFQyJ9fQ.ZVPxAA.mSDa2I5Sa63Ff6sCkJNpVAN9H8M
	// {"_flashes":[{"$tuple":["message","Welcome back"]}],"token":{"$bytes":"AAEC"}}
	// {"_flashes":[["message","Welcome back"]],"token":"AAEC"}
}
