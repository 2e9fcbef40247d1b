package vectors_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/flaskgo/session/internal/vectors"
	"github.com/flaskgo/session/taggedjson"
)

func ExampleToTyped() {
	session := map[string]any{
		"_flashes": []any{taggedjson.Tuple{"message", "hi"}},
		"ratio":    1.0,
		"big":      int64(1) << 60,
	}
	out, _ := json.Marshal(vectors.ToTyped(session))
	fmt.Println(string(out))
	// Output: {"_flashes":[{"$tuple":["message","hi"]}],"big":{"$int":"1152921504606846976"},"ratio":{"$float":"1.0"}}
}

func ExampleLoad() {
	v, err := vectors.Load("../../testdata/flask-cookies.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	p := v.Positive[0]
	s, _, _ := p.SessionValue()
	payload, _ := taggedjson.Marshal(s)
	fmt.Println(p.Name, string(payload) == p.PayloadJSON)
	// Output: simple_int true
}
