package flasksession_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/memstore"
)

// What Flask-Session 0.8 stores for a login (vector N-redis-login-unsigned,
// whose keys Flask inserted in another order).
func ExampleMsgpack() {
	data, err := flasksession.Msgpack{}.Marshal(map[string]any{
		"_permanent": true,
		"user_id":    42,
		"username":   "alice",
		"roles":      []any{"admin", "dev"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%x\n", data)

	values, err := flasksession.Msgpack{}.Unmarshal(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(values["user_id"], values["username"], values["roles"])
	// Output:
	// 84aa5f7065726d616e656e74c3a5726f6c657392a561646d696ea3646576a7757365725f69642aa8757365726e616d65a5616c696365
	// 42 alice [admin dev]
}

// A session that Flask-Session 0.3.2 pickled into Redis (vector
// L-redis-login-unsigned).
func ExamplePickle() {
	stored, _ := base64.StdEncoding.DecodeString("gASVTAAAAAAAAAB9lCiMCl9wZXJtYW5lbnSUiIwHdXNlcl9pZJRLKowIdXNlcm5hbWWUjAVhbGljZZSMBXJvbGVzlF2UKIwFYWRtaW6UjANkZXaUZXUu")
	values, err := flasksession.Pickle{}.Unmarshal(stored)
	if err != nil {
		log.Fatal(err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s: %v (%T)\n", k, values[k], values[k])
	}
	// Output:
	// _permanent: true (bool)
	// roles: [admin dev] ([]interface {})
	// user_id: 42 (int64)
	// username: alice (string)
}

// The unpickler refuses anything outside its short list of types, without
// running it.
func ExamplePickle_restricted() {
	evil := []byte("cos\nsystem\n(S'rm -rf /'\ntR.")
	_, err := flasksession.Pickle{}.Unmarshal(evil)
	fmt.Println(errors.Is(err, flasksession.ErrUnsafePickle))
	fmt.Println(err)
	// Output:
	// true
	// flasksession: pickle: global "os.system" is not allowed (offset 0)
}

// A Manager that shares Flask-Session 0.8's entries: key "session:<id>",
// MessagePack values, JSON and legacy pickles readable too.
func ExampleChain() {
	store := memstore.New()
	defer store.Close()
	m, err := session.New(session.Config{
		SecretKey:      "change me",
		Store:          store,
		KeyPrefix:      "session:", // SESSION_KEY_PREFIX
		PlainStoreKeys: true,       // the key is prefix + id, as in Flask-Session
		Serializer:     flasksession.Chain{ReadPickle: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session.From(r).Set("user_id", 42)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	id := rec.Result().Cookies()[0].Value

	rec2, err := store.Load(context.Background(), "session:"+id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%x\n", rec2.Data) // what Flask-Session 0.8 reads as {"user_id": 42}
	// Output:
	// 81a7757365725f69642a
}
