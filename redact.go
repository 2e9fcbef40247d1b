package session

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Session ids are bearer secrets: no error or log line of this package
// shows one, whatever the store put in its error text (a store key under
// PlainStoreKeys is the id itself). Errors that could carry one pass
// through redact on their way out.

// redactedError replaces the secrets in an error's text by fingerprints;
// errors.Is and errors.As still see the original.
type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every occurrence of the ids replaced by
// "id#" and the first 8 hex digits of their SHA-256.
func redact(err error, ids ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	changed := false
	for _, id := range ids {
		if id != "" && strings.Contains(text, id) {
			text = strings.ReplaceAll(text, id, fingerprintID(id))
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{err: err, text: text}
}

// fingerprintID names a session id in logs without revealing it.
func fingerprintID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "id#" + hex.EncodeToString(sum[:4])
}
