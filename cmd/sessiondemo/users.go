package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// defaultIterations is the PBKDF2-HMAC-SHA256 work factor. OWASP asks for
// 600 000 in production; the demo uses fewer so that logging in stays quick
// on small machines.
const defaultIterations = 100_000

// pbkdf2Iterations is the work factor in force. Tests lower it before the
// first login: under the race detector each hash costs a second or more, and
// the suite logs in dozens of times.
var pbkdf2Iterations = defaultIterations

// user is a demo account. Only a salted PBKDF2 hash of the password is kept.
type user struct {
	ID   string // stored in the session under "_user_id"
	Name string // shown on pages
	salt []byte
	hash []byte
}

// demoAccounts are the two fixed logins, documented in the README and on the
// login page. The plaintext exists only to be hashed at start-up.
var demoAccounts = []struct{ id, name, password string }{
	{"alice", "Alice", "wonderland"},
	{"bob", "Bob", "builder"},
}

// users returns the demo users, hashing their passwords on first use.
var users = sync.OnceValue(func() map[string]*user {
	m := make(map[string]*user, len(demoAccounts))
	for _, a := range demoAccounts {
		u := &user{ID: a.id, Name: a.name, salt: make([]byte, 16)}
		if _, err := rand.Read(u.salt); err != nil {
			panic("crypto/rand failed: " + err.Error()) // salts must be unpredictable
		}
		u.hash = hashPassword(a.password, u.salt)
		m[a.id] = u
	}
	return m
})

// decoy is hashed against when the user name is unknown, so that a failed
// login takes as long whether or not the account exists.
var decoy = sync.OnceValue(func() *user {
	u := &user{salt: make([]byte, 16)}
	_, _ = rand.Read(u.salt)
	u.hash = hashPassword("decoy password", u.salt)
	return u
})

func hashPassword(password string, salt []byte) []byte {
	k, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		// Only FIPS-140 mode with a tiny key or salt fails; neither applies.
		panic("pbkdf2: " + err.Error())
	}
	return k
}

// authenticate returns the user whose name and password match, or nil.
// It takes the same time for unknown users, wrong passwords and successes.
func authenticate(name, password string) *user {
	u, known := users()[name]
	candidate := u
	if !known {
		candidate = decoy()
	}
	ok := subtle.ConstantTimeCompare(hashPassword(password, candidate.salt), candidate.hash) == 1
	if !known || !ok {
		return nil
	}
	return u
}

// userByID returns the user stored in a session, or nil.
func userByID(id string) *user {
	if id == "" {
		return nil
	}
	return users()[id]
}
