package session

import "github.com/flaskgo/session/taggedjson"

// Serializer turns server-side session data into bytes and back.
type Serializer interface {
	Marshal(values map[string]any) ([]byte, error)
	Unmarshal(data []byte) (map[string]any, error)
}

// TaggedJSON is Flask's tagged JSON, the format of Flask's cookie payload.
// It keeps tuples, bytes, UUIDs, times and Markup intact.
type TaggedJSON struct{}

// Marshal implements Serializer.
func (TaggedJSON) Marshal(values map[string]any) ([]byte, error) { return taggedjson.Marshal(values) }

// Unmarshal implements Serializer.
func (TaggedJSON) Unmarshal(data []byte) (map[string]any, error) { return taggedjson.Unmarshal(data) }
