package cachelibstore_test

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/flasksession"
)

// A Go service sharing the session directory of a Flask app configured with
// SESSION_TYPE = "filesystem", SESSION_FILE_DIR = dir, SESSION_USE_SIGNER =
// True and the default SESSION_KEY_PREFIX and SESSION_FILE_THRESHOLD.
func Example() {
	dir, _ := os.MkdirTemp("", "flask_session")
	defer os.RemoveAll(dir)

	store, err := cachelibstore.New(dir, cachelibstore.WithThreshold(500))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	m, err := session.New(session.Config{
		SecretKey:      "the Flask app's SECRET_KEY, 32 bytes or more",
		Store:          store,
		KeyPrefix:      "session:",
		PlainStoreKeys: true,
		SignIDs:        true,
		Serializer:     flasksession.Pickle{},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = m.Handler(http.NotFoundHandler())

	// Where Flask-Session keeps the session with id "abc":
	fmt.Println(cachelibstore.FileName("session:abc"))
	// Output: 32607b0dcb9d5a58fbe913b473137833
}
