package signer_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/flaskgo/session/signer"
)

// Reading and writing Flask's session cookie bytes. The token is the one
// Flask 2.2 wrote for session {"user_id": 42} (vector simple_int).
func Example() {
	s, err := signer.New(signer.Config{Keys: [][]byte{[]byte("public-test-secret-1")}})
	if err != nil {
		panic(err)
	}
	const lifetime = 31 * 24 * time.Hour // Flask's PERMANENT_SESSION_LIFETIME
	cookie := "eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8"

	payload, signedAt, _, err := s.Decode(cookie, lifetime, time.Unix(1700000060, 0))
	fmt.Println(string(payload), signedAt, err)

	fmt.Println(s.Encode(payload, signedAt) == cookie)

	_, _, _, err = s.Decode(cookie, lifetime, signedAt.Add(lifetime+time.Second))
	fmt.Println(errors.Is(err, signer.ErrExpired))
	// Output:
	// {"user_id":42} 2023-11-14 22:13:20 +0000 UTC <nil>
	// true
	// true
}

// Key rotation: the first key signs, every key verifies.
func ExampleConfig_keyRotation() {
	now := time.Unix(1700000000, 0)
	old, _ := signer.New(signer.Config{Keys: [][]byte{[]byte("key-2023")}})
	cookie := old.Encode([]byte(`{"a":1}`), now)

	s, _ := signer.New(signer.Config{Keys: [][]byte{[]byte("key-2024"), []byte("key-2023")}})
	_, _, keyIndex, err := s.Decode(cookie, time.Hour, now)
	fmt.Println(keyIndex, err)
	// Output:
	// 1 <nil>
}

// Flask-Session's signed session id (SESSION_USE_SIGNER = True).
func ExampleSigner_SignValue() {
	s, _ := signer.New(signer.Config{
		Keys: [][]byte{[]byte("correct horse battery staple")},
		Salt: "flask-session",
	})
	signed := s.SignValue("VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q")
	fmt.Println(signed)
	sid, _, err := s.VerifyValue(signed)
	fmt.Println(sid, err)
	// Output:
	// VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q.wFyEzHMmRZ9LBEwFqVFVVlfe2dc
	// VGhpcyBpcyBub3QgcmFuZG9tLCBpdCBpcyBhIHRlc3Q <nil>
}

// Inspecting a cookie without the key, as a debugging tool would.
func ExampleDecodeUnverified() {
	payload, signedAt, err := signer.DecodeUnverified("eyJ1c2VyX2lkIjo0Mn0.ZVPxAA.itvFvNfEkppHHfo_ybv2EwhU7N8")
	fmt.Println(string(payload), signedAt.Unix(), err)
	// Output:
	// {"user_id":42} 1700000000 <nil>
}
