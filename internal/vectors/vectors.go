// Package vectors loads the Flask-generated cookie test vectors
// (testdata/flask-cookies.json) and converts their "typed" value notation
// to and from Go session values. It is shared by the tests of several
// packages and by sessionctl's --typed output.
//
// The typed notation (the file's typed_value_encoding) writes Python values
// as plain JSON: integers beyond ±(2^53-1) as {"$int":"digits"}, every float
// as {"$float":"<repr>"}, and {"$tuple":[...]}, {"$bytes":"<std base64>"},
// {"$uuid":"8-4-4-4-12"}, {"$datetime":"ISO 8601"} and {"$markup":"..."};
// a dict whose only key starts with "$" is wrapped as {"$dict":{...}}.
package vectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/flaskgo/session/typedjson"
)

// CookieVectors is the whole vector file.
type CookieVectors struct {
	Format             string            `json:"format"`
	SchemaVersion      int               `json:"schema_version"`
	Generator          map[string]string `json:"generator"`
	Constants          Constants         `json:"constants"`
	Notes              []string          `json:"notes"`
	TypedValueEncoding map[string]string `json:"typed_value_encoding"`
	FieldGuide         map[string]string `json:"field_guide"`
	Positive           []Positive        `json:"positive"`
	Negative           []Negative        `json:"negative"`
	HeaderCases        []HeaderCase      `json:"header_cases"`
}

// Constants are the fixed parameters of Flask's cookie signer.
type Constants struct {
	Salt                 string `json:"salt"`
	KeyDerivation        string `json:"key_derivation"`
	Digest               string `json:"digest"`
	Separator            string `json:"separator"`
	DefaultCookieName    string `json:"default_cookie_name"`
	DefaultMaxAgeSeconds int64  `json:"default_max_age_seconds"`
}

// Positive is a cookie that Flask wrote and/or accepted.
type Positive struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	SecretKey   string `json:"secret_key"`
	// FallbackKeys are Flask ≥ 3.1 SECRET_KEY_FALLBACKS (old keys, read only).
	FallbackKeys []string `json:"fallback_keys"`
	// ItsdangerousSecretKeys is the key list given to itsdangerous, oldest
	// first (present only with fallbacks).
	ItsdangerousSecretKeys []string `json:"itsdangerous_secret_keys,omitempty"`
	// SigningKey is present only when it differs from SecretKey.
	SigningKey string `json:"signing_key,omitempty"`
	// Direction is "both" (writers must reproduce Cookie) or "read".
	Direction string `json:"direction"`
	// Session is the typed session Flask serialised; nil for crafted
	// read-only cases. Use SessionValue for Go values.
	Session         any              `json:"session,omitempty"`
	Timestamp       int64            `json:"timestamp"`
	PayloadJSON     string           `json:"payload_json"`
	Compressed      bool             `json:"compressed"`
	CompressionInfo *CompressionInfo `json:"compression_info,omitempty"`
	Cookie          string           `json:"cookie"`
	VerifyNow       int64            `json:"verify_now"`
	MaxAge          int64            `json:"max_age"`
	// Decoded is the typed session Flask read back. Use DecodedValue.
	Decoded    any      `json:"decoded"`
	Tags       []string `json:"tags,omitempty"`
	ProducedBy string   `json:"produced_by"`
	VerifiedBy string   `json:"verified_by"`
}

// CompressionInfo gives the JSON length and the C zlib level-6 length.
type CompressionInfo struct {
	JSONLen int `json:"json_len"`
	ZlibLen int `json:"zlib_len"`
}

// HasTag reports whether the vector carries tag (zlib-exact, lenient,
// nonstandard-json).
func (p *Positive) HasTag(tag string) bool {
	for _, t := range p.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// SessionValue converts Session to Go values; ok is false when the vector
// has no session.
func (p *Positive) SessionValue() (m map[string]any, ok bool, err error) {
	if p.Session == nil {
		return nil, false, nil
	}
	m, err = typedMap(p.Session)
	return m, err == nil, err
}

// DecodedValue converts Decoded to Go values.
func (p *Positive) DecodedValue() (map[string]any, error) {
	return typedMap(p.Decoded)
}

// Negative is a cookie that must not decode.
type Negative struct {
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	SecretKey    string   `json:"secret_key"`
	FallbackKeys []string `json:"fallback_keys"`
	Cookie       string   `json:"cookie"`
	VerifyNow    int64    `json:"verify_now"`
	MaxAge       int64    `json:"max_age"`
	// ItsdangerousError is the exception class itsdangerous raised, or
	// empty when loads did not raise.
	ItsdangerousError string `json:"itsdangerous_error"`
	// FlaskOutcome is "empty_session" or "server_error".
	FlaskOutcome string `json:"flask_outcome"`
	// ExpectedSession is {} for empty_session and nil for server_error.
	ExpectedSession map[string]any `json:"expected_session"`
	VerifiedBy      string         `json:"verified_by"`
}

// HeaderCase is a full save_session scenario with its Set-Cookie headers.
type HeaderCase struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	SecretKey   string `json:"secret_key"`
	// Config holds Flask config overrides (PERMANENT_SESSION_LIFETIME in
	// seconds as a json.Number; booleans and strings as such).
	Config map[string]any `json:"config"`
	// IncomingCookie is the request's cookie value; nil means no cookie.
	IncomingCookie *string `json:"incoming_cookie"`
	Now            int64   `json:"now"`
	// Actions are raw: [op, args...]; see ParsedActions.
	Actions           [][]any  `json:"actions"`
	ExpectedSetCookie []string `json:"expected_set_cookie"`
	// ExpectedVary is the Vary header; nil means absent.
	ExpectedVary        *string `json:"expected_vary"`
	ExpectedSizeWarning bool    `json:"expected_size_warning"`
	// ViewResult is what the view returned (typed).
	ViewResult       any   `json:"view_result"`
	SetCookieLengths []int `json:"set_cookie_lengths"`
}

// Action is one step of a header case's view.
type Action struct {
	Op       string         // update, permanent, flash, get, contains, delete, clear, noop
	Update   map[string]any // for "update": the keys to set (Go values)
	Bool     bool           // for "permanent"
	Key      string         // for "get", "contains", "delete"
	Message  string         // for "flash"
	Category string         // for "flash" ("message" when not given)
}

// ParsedActions converts Actions to Go values.
func (h *HeaderCase) ParsedActions() ([]Action, error) {
	out := make([]Action, 0, len(h.Actions))
	for i, raw := range h.Actions {
		if len(raw) == 0 {
			return nil, fmt.Errorf("vectors: %s: action %d is empty", h.Name, i)
		}
		op, _ := raw[0].(string)
		a := Action{Op: op}
		arg := func(j int) (string, error) {
			if j >= len(raw) {
				return "", fmt.Errorf("vectors: %s: action %d (%s) lacks argument %d", h.Name, i, op, j)
			}
			s, ok := raw[j].(string)
			if !ok {
				return "", fmt.Errorf("vectors: %s: action %d (%s) argument %d is %T, want string", h.Name, i, op, j, raw[j])
			}
			return s, nil
		}
		var err error
		switch op {
		case "update":
			if len(raw) < 2 {
				return nil, fmt.Errorf("vectors: %s: action %d (update) lacks its dict", h.Name, i)
			}
			a.Update, err = typedMap(raw[1])
		case "permanent":
			b, ok := raw[len(raw)-1].(bool)
			if len(raw) != 2 || !ok {
				return nil, fmt.Errorf("vectors: %s: action %d (permanent) needs one bool", h.Name, i)
			}
			a.Bool = b
		case "flash":
			if a.Message, err = arg(1); err == nil {
				a.Category = "message"
				if len(raw) > 2 {
					a.Category, err = arg(2)
				}
			}
		case "get", "contains", "delete":
			a.Key, err = arg(1)
		case "clear", "noop":
		default:
			return nil, fmt.Errorf("vectors: %s: unknown action %q", h.Name, op)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Load reads and parses a vector file.
func Load(path string) (*CookieVectors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	return Parse(data)
}

// Parse parses the vector file's JSON. Numbers inside typed values are kept
// as json.Number so that large integers survive.
func Parse(data []byte) (*CookieVectors, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v CookieVectors
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("vectors: parsing vector file: %w", err)
	}
	if len(v.Positive) == 0 {
		return nil, fmt.Errorf("vectors: vector file has no positive cases")
	}
	return &v, nil
}

func typedMap(v any) (map[string]any, error) {
	g, err := typedjson.ToGo(v)
	if err != nil {
		return nil, err
	}
	m, ok := g.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("vectors: typed value is %T, want a dict", g)
	}
	return m, nil
}
