package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/cachelibstore"
	"github.com/flaskgo/session/flasksession"
	"github.com/flaskgo/session/memcachestore"
	"github.com/flaskgo/session/sqlstore"
)

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

// ---- cachelib FileSystemCache (file: with --flask-session) ----

type cachelibBackend struct {
	dir string
	st  *cachelibstore.Store
}

// openCachelib opens file:DIR in cachelib's FileSystemCache layout, the one
// Flask-Session's filesystem backend uses. Like file:, the directory must
// exist: a typo must not look like an empty store.
func openCachelib(dir string) (backend, error) {
	if dir == "" {
		return nil, usageErr("store URL file: needs a directory, as in file:/var/lib/app/flask_session")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, storeErr(fmt.Errorf("cachelib directory: %w", err))
	}
	if !fi.IsDir() {
		return nil, storeErr(fmt.Errorf("cachelib directory: %s is not a directory", dir))
	}
	st, err := cachelibstore.New(dir)
	if err != nil {
		return nil, storeErr(err)
	}
	return &cachelibBackend{dir: dir, st: st}, nil
}

func (b *cachelibBackend) store() session.Store { return b.st }
func (b *cachelibBackend) describe() string {
	return "cachelib FileSystemCache (Flask-Session filesystem) in " + b.dir
}
func (b *cachelibBackend) nativeTTL() bool { return false }
func (b *cachelibBackend) close() error    { return b.st.Close() }

// cachelib names each file after the MD5 of its key, so the keys cannot be
// listed or filtered by prefix: ls, stats and ls --all work on the files,
// and show the file names. They read file headers only.

func (b *cachelibBackend) files(ctx context.Context) ([]cachelibstore.FileInfo, error) {
	return b.st.ListFiles(ctx, 0)
}

func (b *cachelibBackend) count(ctx context.Context, _ string) (counts, error) {
	fs, err := b.files(ctx)
	if err != nil {
		return counts{}, err
	}
	c := counts{known: true, total: int64(len(fs)), what: "cache files (of every key: cachelib's file names do not show the key prefix)"}
	for _, f := range fs {
		if f.Expired {
			c.expired++
		}
	}
	return c, nil
}

func (b *cachelibBackend) listRows(ctx context.Context, o listOpts) ([]entry, error) {
	if o.user != "" {
		return nil, fmt.Errorf("%s has no owners (Flask-Session keeps none): --user cannot apply", b.describe())
	}
	fs, err := b.files(ctx)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, f := range fs {
		if f.Expired && !o.all {
			continue
		}
		out = append(out, entry{Key: f.Name, Expires: f.Expires, Expired: f.Expired})
	}
	return out, nil
}

func (b *cachelibBackend) listAll(ctx context.Context, o listOpts) ([]entry, error) {
	return b.listRows(ctx, o)
}

func (b *cachelibBackend) breakdown(ctx context.Context, _ string, now time.Time, _ int) (*breakdown, error) {
	fs, err := b.files(ctx)
	if err != nil {
		return nil, err
	}
	bd := newBreakdown()
	bd.noOwners = true
	for _, f := range fs {
		if !f.Expired {
			bd.expiry[bucketOf(f.Expires, now)]++
		}
	}
	return bd, nil
}

// ---- Flask-Session's SQLAlchemy table (SQL with --flask-session) ----

// flaskSQLBackend is a SQL store in Flask-Session's table. Its columns are
// not the native table's, so it has none of sqlBackend's direct queries
// (COUNT(*), ls --all): counting and listing go through the store.
type flaskSQLBackend struct {
	db   *sql.DB
	st   *sqlstore.Store
	desc string
}

func (b *flaskSQLBackend) store() session.Store { return b.st }
func (b *flaskSQLBackend) describe() string     { return b.desc }
func (b *flaskSQLBackend) nativeTTL() bool      { return false }
func (b *flaskSQLBackend) close() error         { return b.db.Close() }
