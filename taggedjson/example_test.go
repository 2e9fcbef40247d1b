package taggedjson_test

import (
	"fmt"
	"time"

	"github.com/flaskgo/session/taggedjson"
)

func ExampleMarshal() {
	session := map[string]any{
		"user_id":  42,
		"name":     "José",
		"_flashes": []any{taggedjson.Tuple{"message", "Welcome back!"}},
		"seen":     time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC),
		"wrap":     map[string]any{" t": "not a tuple"},
	}
	payload, err := taggedjson.Marshal(session)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(payload))
	// Output:
	// {"_flashes":[{" t":["message","Welcome back!"]}],"name":"Jos\u00e9","seen":{" d":"Thu, 29 Feb 2024 13:45:30 GMT"},"user_id":42,"wrap":{" di":{" t__":"not a tuple"}}}
}

func ExampleUnmarshal() {
	payload := []byte(`{"_flashes":[{" t":["warning","Disk almost full"]}],"id":{" u":"12345678123456789abcdef012345678"},"n":18446744073709551616,"ratio":1e+16}`)
	session, err := taggedjson.Unmarshal(payload)
	if err != nil {
		panic(err)
	}
	flash := session["_flashes"].([]any)[0].(taggedjson.Tuple)
	fmt.Printf("%s: %s\n", flash[0], flash[1])
	fmt.Println(session["id"].(taggedjson.UUID))
	fmt.Printf("%T %v\n", session["n"], session["n"])
	fmt.Printf("%T %v\n", session["ratio"], session["ratio"])
	// Output:
	// warning: Disk almost full
	// 12345678-1234-5678-9abc-def012345678
	// *big.Int 18446744073709551616
	// float64 1e+16
}

func ExampleParseUUID() {
	u, err := taggedjson.ParseUUID("urn:uuid:{12345678-1234-5678-9ABC-DEF012345678}")
	if err != nil {
		panic(err)
	}
	fmt.Println(u)
	// Output: 12345678-1234-5678-9abc-def012345678
}
