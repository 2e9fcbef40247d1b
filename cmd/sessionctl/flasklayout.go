package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/memcachestore"
	"github.com/flaskgo/session/sqlstore"
)

// errLayoutNotYet is returned for --flask-session on a backend whose
// Flask-Session layout sessionctl cannot open yet.
var errLayoutNotYet = errors.New("not supported yet")

// serializers maps --serializer names to the encodings a record's data can
// have. "tagged" is Flask's tagged JSON, the session.Manager's default;
// the others are Flask-Session's (package flasksession).
var serializers = map[string]session.Serializer{
	"tagged":  session.TaggedJSON{},
	"msgpack": flasksession.Msgpack{},
	"json":    flasksession.JSON{},
	"pickle":  flasksession.Pickle{},
}

// defaultSerializer is what put writes without --serializer: the Manager's
// tagged JSON, or, with --flask-session, pickle, the only format
// Flask-Session 0.3–0.6 (Debian's 0.3.2) reads; 0.7/0.8 need msgpack.
func defaultSerializer(flaskLayout bool) string {
	if flaskLayout {
		return "pickle"
	}
	return "tagged"
}

// flaskReader decodes Flask-Session records in any of its formats, in
// Flask-Session 0.8's order of trial (MessagePack, JSON, pickle).
var flaskReader = flasksession.Chain{ReadPickle: true}

// decodeRecord decodes a record's data: tagged JSON for a Manager's
// records, any Flask-Session format with --flask-session. It also names the
// format the data is in.
func decodeRecord(data []byte, flaskLayout bool) (map[string]any, string, error) {
	if !flaskLayout {
		v, err := session.TaggedJSON{}.Unmarshal(data)
		return v, "tagged", err
	}
	v, err := flaskReader.Unmarshal(data)
	if err != nil {
		return nil, "", err
	}
	return v, formatOf(data), nil
}

// formatOf names the Flask-Session format data decodes as, trying them in
// flasksession.Chain's order.
func formatOf(data []byte) string {
	for _, name := range []string{"msgpack", "json", "pickle"} {
		if _, err := serializers[name].Unmarshal(data); err == nil {
			return name
		}
	}
	return "unknown"
}

// ---- memcached ----

type memcachedBackend struct {
	client *memcache.Client
	st     *memcachestore.Store
	desc   string
}

// openMemcached opens memcached://host:port[,host:port...]. memcached has
// no login and no databases: a path or user in the URL is an error.
func openMemcached(raw string) (backend, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usageErr("store URL: %v", err)
	}
	if u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, usageErr("store URL %s: want memcached://host:port[,host:port...] (no user, path or query)", redact(raw))
	}
	var addrs []string
	for _, a := range strings.Split(u.Host, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, "11211")
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, usageErr("store URL %q names no server; want memcached://host:port", raw)
	}
	c := memcache.New(addrs...)
	c.Timeout = 5 * time.Second
	if err := c.Ping(); err != nil {
		return nil, storeErr(fmt.Errorf("memcached %s: %w", strings.Join(addrs, ","), err))
	}
	return &memcachedBackend{client: c, st: memcachestore.New(c), desc: "memcached " + strings.Join(addrs, ",")}, nil
}

func (b *memcachedBackend) store() session.Store { return b.st }
func (b *memcachedBackend) describe() string     { return b.desc }
func (b *memcachedBackend) nativeTTL() bool      { return true }
func (b *memcachedBackend) close() error         { return b.client.Close() }

// ---- layouts built elsewhere ----

// openCachelib opens file:DIR in cachelib's FileSystemCache layout, the one
// Flask-Session's filesystem backend uses.
func openCachelib(dir string) (backend, error) {
	return nil, usageErr("--flask-session on file:%s: cachelib's FileSystemCache layout is %w", dir, errLayoutNotYet)
}

// flaskSQLLayout returns the sqlstore options for Flask-Session's
// SQLAlchemy table.
func flaskSQLLayout() ([]sqlstore.Option, error) {
	return nil, usageErr("--flask-session on SQL: Flask-Session's SQLAlchemy table is %w", errLayoutNotYet)
}
