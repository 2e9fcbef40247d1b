package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flaskgo/session/typedjson"

	session "github.com/flaskgo/session"
)

// plain converts a session value to what encoding/json writes as plain JSON:
// tuples become arrays, bytes standard base64 text, UUIDs their 8-4-4-4-12
// text, times RFC 3339 text, Markup its text, big integers JSON numbers.
// Floats JSON cannot hold become the strings "NaN", "Infinity" and
// "-Infinity", as JavaScript's String() writes them.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case []any:
		return plainSlice(x)
	case session.Tuple:
		return plainSlice(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case session.UUID:
		return x.String()
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case session.Markup:
		return string(x)
	case *big.Int:
		if x == nil {
			return nil
		}
		return json.Number(x.String())
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
		return x
	}
	return v
}

func plainSlice(s []any) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = plain(e)
	}
	return out
}

// render converts a session for output: plain JSON, or the typed form of
// the test vectors.
func render(values map[string]any, asTyped bool) any {
	if asTyped {
		return typedjson.FromGo(values)
	}
	return plain(values)
}

// marshalJSON writes v as compact JSON without HTML escaping (the output is
// for terminals and scripts, not for HTML pages).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// maxInput caps what sign reads from stdin: a session that large can never
// fit in a cookie anyway.
const maxInput = 8 << 20

// readObject reads exactly one JSON object from r, with numbers kept as
// json.Number.
func readObject(r io.Reader) (map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, storeErr(fmt.Errorf("reading stdin: %w", err))
	}
	if len(data) > maxInput {
		return nil, usageErr("stdin holds more than %d bytes", maxInput)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, usageErr("stdin is empty; want one JSON object")
		}
		return nil, usageErr("stdin is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, usageErr("stdin holds more than one JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, usageErr("stdin holds a JSON %s, want an object", jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// fromPlain turns plain JSON (as decoded with UseNumber) into session
// values: integers become int64 (or *big.Int beyond 64 bits), other numbers
// float64.
func fromPlain(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := fromPlain(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case []any:
		for i, e := range x {
			c, err := fromPlain(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			if n, ok := new(big.Int).SetString(s, 10); ok {
				return n, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", s, err)
		}
		return f, nil
	}
	return v, nil
}

// pyType names a session value's Python type, for inspect.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case session.Tuple:
		return "tuple"
	case []byte:
		return "bytes"
	case session.UUID:
		return "UUID"
	case time.Time:
		return "datetime"
	case session.Markup:
		return "Markup"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// short renders v as compact plain JSON cut to about n characters.
func short(v any, n int) string {
	b, err := marshalJSON(plain(v))
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	s := string(b)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
