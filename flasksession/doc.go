// Package flasksession reads and writes the values that the Flask-Session
// extension keeps in its server-side stores (Redis, Memcached, SQL, files),
// so that a Go service and a Flask application can share sessions.
//
// Four session.Serializer implementations cover its eras:
//
//   - Msgpack writes exactly what Flask-Session 0.7/0.8 writes through
//     msgspec (smallest encodings, float64, timestamp extension for times)
//     and reads any valid MessagePack map.
//   - JSON reads and writes SESSION_SERIALIZATION_FORMAT = "json" of 0.8,
//     as msgspec.json does (compact, raw UTF-8, base64 bytes, RFC 3339
//     times, integers of any size).
//   - Pickle reads the pickles of Flask-Session 0.2–0.6 (and of cachelib's
//     file cache) with a restricted unpickler that never runs code, and
//     writes protocol 2 pickles that every Python 3 pickle reads, for a
//     Flask-Session ≤ 0.6 process (Debian ships 0.3.2) sharing the store.
//   - Chain writes one format and reads in Flask-Session 0.8's fallback
//     order: MessagePack, then JSON, then (optionally) pickle.
//
// Pair them with a session.Manager that uses Flask-Session's key layout:
//
//	m, err := session.New(session.Config{
//		SecretKey:      secret,
//		Store:          store,
//		KeyPrefix:      "session:",      // SESSION_KEY_PREFIX
//		PlainStoreKeys: true,            // key = prefix + session id
//		SignIDs:        false,           // SESSION_USE_SIGNER
//		Serializer:     flasksession.Chain{},
//	})
//
// # Value mapping
//
// Sessions decode to map[string]any holding map[string]any, []any, string,
// int64 (or *big.Int beyond 64 bits), float64, bool, nil, []byte,
// time.Time, session.Tuple, session.UUID and session.Markup:
//
//	Python                 Go (decoded)                 written back as
//	dict (str keys)        map[string]any               dict / map
//	list                   []any                        list / array
//	tuple                  session.Tuple                tuple (pickle), array (msgpack)
//	set, frozenset         []any, in stored order       list / array
//	bytes, bytearray       []byte                       bytes / bin
//	str                    string                       str
//	markupsafe.Markup      session.Markup (pickle only) Markup (pickle), str (msgpack)
//	uuid.UUID              session.UUID (pickle only)   UUID (pickle), canonical str (msgpack)
//	int                    int64 or *big.Int            int
//	float                  float64                      float (always float64)
//	aware datetime         time.Time in its offset      UTC-aware datetime / timestamp ext
//	naive datetime         time.Time in UTC             UTC-aware datetime / timestamp ext
//	datetime.date          "YYYY-MM-DD" string          str
//
// Some things cannot cross: dicts with keys that are not strings, msgpack
// extension types other than timestamps, standalone datetime.timedelta and
// datetime.time values, and Python strings holding lone surrogates make
// Unmarshal fail (the error wraps ErrUnsupportedValue). Go maps have no
// order: Msgpack and JSON write the keys of a map they decoded in the order
// they read them (new keys appended, sorted), so an untouched session is
// rewritten byte for byte, and the keys of other maps sorted; Flask reads
// either. Times carry microseconds, as Python's datetime
// does: Marshal drops finer digits and refuses years outside 1–9999.
// Other Go values (int kinds, float32, structs, typed slices and maps) are
// first converted the way session.TaggedJSON converts them.
//
// # Security
//
// Unpickling in Python runs constructors named in the data; anyone able to
// write to the store can then run code in the Flask process. Pickle's
// decoder is not an interpreter: it knows a fixed list of opcodes and a
// short list of globals (datetime, date, timedelta, timezone,
// _codecs.encode for bytes, set, frozenset, bytearray, bytes, uuid.UUID,
// markupsafe.Markup and copyreg._reconstructor for those two) and rejects
// everything else with ErrUnsafePickle. Decoding is bounded in depth
// (MaxDepth) and in the number of values it builds, so shared references
// cannot expand a small pickle into an enormous value. Writing pickles is
// only needed while a Flask-Session ≤ 0.6 process still reads the store;
// prefer Msgpack otherwise.
package flasksession
