// Package taggedjson implements Flask's tagged JSON session serializer
// (flask.json.tag.TaggedJSONSerializer) byte for byte.
//
// Marshal produces exactly the text that Python's
//
//	json.dumps(serializer.tag(session), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
//
// produces inside a Flask request with the default JSON provider, and
// Unmarshal accepts whatever Flask's loads accepts: Python's JSON dialect
// (NaN and Infinity tokens, integers of any size up to 4300 digits,
// duplicate keys with the last one winning, joined surrogate pairs) followed
// by bottom-up untagging.
//
// # Value model
//
// Python types map onto Go types as follows; Unmarshal produces only these:
//
//	dict      map[string]any
//	list      []any
//	tuple     Tuple             tag " t"
//	str       string
//	int       int64, or *big.Int when it does not fit
//	float     float64 (NaN, ±Inf and -0.0 included)
//	bool      bool
//	None      nil
//	bytes     []byte            tag " b"
//	UUID      UUID              tag " u"
//	datetime  time.Time (UTC)   tag " d"
//	Markup    Markup            tag " m"
//
// Marshal additionally accepts Go's other integer and float types,
// *big.Int, big.Int, json.Number, typed slices and maps (through
// reflection), and any other value that encoding/json can encode (structs,
// json.Marshaler, encoding.TextMarshaler): such values are encoded with
// encoding/json and the result is re-read as generic values, so a struct
// becomes a JSON object that honours its json tags. As with Python
// dataclasses in Flask, this is one-way: it reads back as a map.
//
// # Reading
//
// Untagging follows Flask exactly, including its leniencies: " di" drops the
// last two characters of the inner key without checking them, " t" over a
// string gives a tuple of characters, " b" uses Python's forgiving base64
// decoder, " u" accepts everything uuid.UUID() accepts, and a " d" text that
// werkzeug's parse_date cannot read becomes nil. Where Flask raises (a bad
// UUID, bad base64 padding, a " t" over a number, ...) Unmarshal returns
// ErrInvalidTag. As in Flask ≥ 3.0.1, a tagged value that a later duplicate
// key replaces is never converted, so it cannot cause an error.
//
// # Differences from Python that cannot be avoided
//
//   - Python strings may hold lone surrogates (from an escaped "\udc00" that
//     is not part of a pair). Go strings cannot, so Unmarshal stores each lone
//     surrogate as U+FFFD, and Marshal writes it back as "\ufffd".
//   - Go strings may hold invalid UTF-8, which Python strings cannot. Marshal
//     replaces each invalid byte by U+FFFD, as encoding/json does.
//   - Datetimes carry whole seconds only and come back in UTC; Python's
//     two-digit-year rule applies when reading, so a written year 0001 reads
//     back as 2001 (as it does in Flask).
//   - Flask turns {" m": x} into Markup(str(x)) for any x. Unmarshal does the
//     same except for a datetime or a dict with two or more keys somewhere in
//     x, whose text depends on the original UTC offset or key order; those
//     return ErrInvalidTag. Flask itself never writes such a tag.
//   - Nesting deeper than MaxDepth is rejected in both directions; Python's
//     limit depends on the interpreter's stack and is close to 1000.
package taggedjson
