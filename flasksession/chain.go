package flasksession

import (
	"errors"
	"fmt"

	session "github.com/flaskgo/session"
)

// Chain is a session.Serializer that writes one format and reads the way
// Flask-Session 0.8 does: MessagePack first, then JSON (the other format 0.8
// can be configured to write), then, when ReadPickle is set, legacy
// pickles. It moves on to the next decoder only when the data is malformed
// for the current one (ErrSyntax); data that is well formed but unusable,
// such as a MessagePack array, fails at once, as in Flask.
//
// The zero Chain writes MessagePack and reads MessagePack and JSON: the
// right choice next to Flask-Session 0.7/0.8 in either of its formats,
// because 0.8 falls back to MessagePack when configured for JSON.
//
// JSON entries decode as msgspec decodes them: bytes and times written by
// Flask in JSON format are plain strings there.
type Chain struct {
	// Write encodes sessions. Nil means Msgpack{}. Use Pickle{} while a
	// Flask-Session ≤ 0.6 process still reads the store.
	Write session.Serializer
	// ReadPickle makes Unmarshal fall back to Pickle's restricted
	// unpickler, for stores that still hold entries of Flask-Session ≤ 0.6.
	// It is implied when Write is Pickle{}.
	ReadPickle bool
}

// Marshal implements session.Serializer.
func (c Chain) Marshal(values map[string]any) ([]byte, error) {
	if c.Write == nil {
		return Msgpack{}.Marshal(values)
	}
	return c.Write.Marshal(values)
}

// Unmarshal implements session.Serializer.
func (c Chain) Unmarshal(data []byte) (map[string]any, error) {
	m, errMsgpack := Msgpack{}.Unmarshal(data)
	if errMsgpack == nil || !errors.Is(errMsgpack, ErrSyntax) {
		return m, errMsgpack
	}
	m, errJSON := unmarshalJSON(data)
	if errJSON == nil || !errors.Is(errJSON, ErrSyntax) {
		return m, errJSON
	}
	if _, ok := c.Write.(Pickle); !ok && !c.ReadPickle {
		return nil, fmt.Errorf("%w: neither MessagePack (%v) nor JSON (%v)", ErrSyntax, errMsgpack, errJSON)
	}
	m, errPickle := Pickle{}.Unmarshal(data)
	if errPickle == nil || !errors.Is(errPickle, ErrSyntax) {
		return m, errPickle
	}
	return nil, fmt.Errorf("%w: neither MessagePack (%v) nor JSON (%v) nor pickle (%v)", ErrSyntax, errMsgpack, errJSON, errPickle)
}
