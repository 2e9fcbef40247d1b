package session

import "github.com/flaskgo/session/taggedjson"

// Value types a session holds besides map[string]any, []any, string, int64,
// *big.Int, float64, bool, nil, []byte and time.Time. They map one to one onto
// the Python types Flask's tagged JSON serializer knows.
type (
	// Tuple is a Python tuple. Flask stores flash messages as tuples.
	Tuple = taggedjson.Tuple
	// UUID is a Python uuid.UUID.
	UUID = taggedjson.UUID
	// Markup is a markupsafe.Markup: HTML that must not be escaped again.
	Markup = taggedjson.Markup
)
