package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/flaskgo/session/seal"
)

func Example() {
	// Real keys come from crypto/rand (32 bytes) and are kept secret.
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)

	before, _ := seal.New([][]byte{oldKey})
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	token := before.Seal([]byte(`{"user_id":42}`), now, now.Add(24*time.Hour))

	// After a key rotation the new key seals and the old one still opens.
	after, _ := seal.New([][]byte{newKey, oldKey})
	plaintext, issuedAt, keyIndex, err := after.Open(token, now.Add(time.Hour))
	fmt.Println(string(plaintext), issuedAt, keyIndex, err)

	_, _, _, err = after.Open(token, now.Add(25*time.Hour))
	fmt.Println(errors.Is(err, seal.ErrExpired))
	// Output:
	// {"user_id":42} 2024-03-01 12:00:00 +0000 UTC 1 <nil>
	// true
}
