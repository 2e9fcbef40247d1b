package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	session "github.com/flaskgo/session"
)

// runPut stores the session read on stdin under one key.
func runPut(ctx context.Context, s stdio, c *storeFlags, b backend, args []string) error {
	name := c.serializer
	if name == "" {
		name = defaultSerializer(c.flaskSession)
	}
	ser, ok := serializers[name]
	if !ok {
		return usageErr("unknown --serializer %q (want %s)", name, serializerNames())
	}
	if c.ttl <= 0 {
		return usageErr("--ttl must be positive (seconds until the record expires)")
	}
	key, err := c.keyOf(args[0])
	if err != nil {
		return err
	}
	obj, err := readObject(s.in)
	if err != nil {
		return err
	}
	var values map[string]any
	if c.typed {
		values, err = fromTyped(obj)
	} else {
		var v any
		v, err = fromPlain(obj)
		values, _ = v.(map[string]any)
	}
	if err != nil {
		return usageErr("stdin: %v", err)
	}
	data, err := ser.Marshal(values)
	if err != nil {
		return usageErr("the session cannot be encoded as %s: %v", name, err)
	}
	// Whole seconds, as Flask-Session's backends count them.
	expires := time.Now().Add(time.Duration(c.ttl) * time.Second).Truncate(time.Second)
	rec := session.Record{Data: data, Expires: expires, UserID: c.user}
	if err := b.store().Save(ctx, key, rec); err != nil {
		return storeErr(err)
	}
	if c.json {
		return outErr(writeJSON(s.out, map[string]any{
			"key":        key,
			"serializer": name,
			"size":       len(data),
			"expires":    timeJSON(expires),
			"user_id":    c.user,
		}))
	}
	_, err = fmt.Fprintf(s.out, "stored %s (%d bytes of %s, expires %s)\n", key, len(data), name, expires.UTC().Format(time.RFC3339))
	return outErr(err)
}

func serializerNames() string {
	names := make([]string, 0, len(serializers))
	for n := range serializers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
