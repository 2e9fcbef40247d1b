package vectors_test

import (
	"fmt"
	"os"

	"github.com/flaskgo/session/internal/vectors"
	"github.com/flaskgo/session/taggedjson"
)

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
