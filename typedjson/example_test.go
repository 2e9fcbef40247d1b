package typedjson_test

import (
	"encoding/json"
	"fmt"

	"github.com/flaskgo/session/taggedjson"
	"github.com/flaskgo/session/typedjson"
)

func ExampleFromGo() {
	session := map[string]any{
		"_flashes": []any{taggedjson.Tuple{"message", "hi"}},
		"ratio":    1.0,
		"big":      int64(1) << 60,
	}
	out, _ := json.Marshal(typedjson.FromGo(session))
	fmt.Println(string(out))
	// Output: {"_flashes":[{"$tuple":["message","hi"]}],"big":{"$int":"1152921504606846976"},"ratio":{"$float":"1.0"}}
}
