package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	session "github.com/flaskgo/session"
	"github.com/flaskgo/session/sqlstore"
)

const storeHelp = `Usage:
  sessionctl store <command> --store URL [flags] [arguments]

Inspect and manage a server-side session store.

Commands:
  stats            count the records
  ls               list keys with their expiry and user
  show KEY         print one record, decoded
  put KEY          store a session read on stdin as one record
  rm KEY...        delete records
  revoke --user ID delete every session of a user (except --except KEY)
  purge-expired    delete expired records (stores without native expiry)

The store comes from --store URL or the environment variable SESSIONCTL_STORE:
  memory:  file:DIR  sqlite:FILE  postgres://...  mysql://user:pass@host:port/db
  redis://host:port[/db]  redis+cluster://h1:p1,h2:p2  memcached://host:port

Keys are store keys, as 'ls' prints them: by default "session:" followed by
the SHA-256 of the session id. With --id, show, put and rm take session ids
(the cookie value of a server-side session) and derive the key the way
session.Manager does (--key-prefix, --plain-keys).

--flask-session reads and writes the store as Flask-Session lays it out for
that backend: key = --key-prefix (SESSION_KEY_PREFIX, default "session:";
--key-prefix "" means none) + the raw session id, data in Flask-Session's
formats (pickle, msgpack or JSON; read in any of them). file:DIR is then
cachelib's FileSystemCache, SQL URLs Flask-Session's SQLAlchemy table
(--table, SESSION_SQLALCHEMY_TABLE, default "sessions"); redis:// and
memcached:// have a single layout.

Run 'sessionctl store <command> --help' for a command's flags and examples.

Exit status: 0 ok, 1 not found, 2 usage error, 3 store or I/O error.
`

type storeCmd struct {
	name string
	help helpText
	run  func(ctx context.Context, s stdio, c *storeFlags, b backend, args []string) error
	// flags registers the command's own flags.
	flags func(fs *flag.FlagSet, c *storeFlags)
	// args checks the number of positional arguments.
	args func(n int) error
}

// storeFlags holds the flags of every store command; each command
// registers the ones it uses.
type storeFlags struct {
	url, table string
	json       bool
	batch      int

	// ls and stats
	prefix string
	user   string
	all    bool
	quiet  bool

	// show, put and rm
	typed     bool
	ids       bool
	keyPrefix string
	plainKeys bool

	// Flask-Session's layout (every command)
	flaskSession bool

	// put
	serializer string
	ttl        int64

	// stats
	top int

	// revoke
	except stringList

	fs *flag.FlagSet
}

func exactly(k int, what string) func(int) error {
	return func(n int) error {
		if n != k {
			return usageErr("want %s, got %d arguments", what, n)
		}
		return nil
	}
}

func none(n int) error {
	if n != 0 {
		return usageErr("takes no arguments, got %d", n)
	}
	return nil
}

func idFlags(fs *flag.FlagSet, c *storeFlags) {
	fs.BoolVar(&c.ids, "id", false, "arguments are session ids (cookie values), not store keys; ids may start with \"-\": put them after --")
	fs.StringVar(&c.keyPrefix, "key-prefix", session.DefaultKeyPrefix, "with --id: the key prefix `P` (Config.KeyPrefix, or Flask-Session's SESSION_KEY_PREFIX); \"\" for none")
	fs.BoolVar(&c.plainKeys, "plain-keys", false, "with --id: the Manager uses Config.PlainStoreKeys (key = prefix + id); implied by --flask-session")
}

// listPrefixFlag is --key-prefix of ls and stats: with --flask-session the
// keys listed are those starting with it, unless --prefix says otherwise.
func listPrefixFlag(fs *flag.FlagSet, c *storeFlags) {
	fs.StringVar(&c.keyPrefix, "key-prefix", session.DefaultKeyPrefix, "with --flask-session: only keys starting with `P` (SESSION_KEY_PREFIX; \"\" for every key), unless --prefix is given")
}

func storeCommands() []storeCmd {
	return []storeCmd{
		{
			name: "stats",
			help: helpText{
				usage: "sessionctl store stats --store URL [--prefix P] [--top N] [--table T] [--json]",
				about: `
Count the records whose key starts with --prefix: SQL with COUNT(*) (and the
number of expired rows awaiting purge-expired), other stores by listing their
live records (a file store reads every file, Redis SCANs every key). A store
that cannot list its records (memcached) says "unknown".

The live records are also counted by owner (how many are anonymous, how many
distinct users own the others, and the --top N users with most sessions: a
bot or a leak shows up here) and by the time left until they expire: <1h,
<1d, <7d, <30d, later, and unknown (a store that reports no expiry). SQL
aggregates in the database; other stores use the same listing rows.`,
				examples: `  sessionctl store stats --store sqlite:/var/lib/app/sessions.db
  SESSIONCTL_STORE=redis://127.0.0.1:6379/0 sessionctl store stats --json`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.StringVar(&c.prefix, "prefix", "", "count only keys starting with `P` (Redis default: \"session:\")")
				fs.IntVar(&c.top, "top", 10, "list the `N` owners with most live records (0: none)")
				listPrefixFlag(fs, c)
			},
			args: none,
			run:  runStats,
		},
		{
			name: "ls",
			help: helpText{
				usage: "sessionctl store ls --store URL [--user ID] [--prefix P] [--all] [-q] [--json]",
				about: `
List the live records: key, expiry (UTC) and owner ("-" for anonymous), sorted
by key. --user lists one user's sessions, --prefix the keys starting with P
(on Redis the default is "session:", the Manager's key prefix, and keys are
found with SCAN). --all includes expired records a SQL store still holds. -q
prints keys only, one per line.`,
				examples: `  sessionctl store ls --store sqlite:sessions.db
  sessionctl store ls --store redis://127.0.0.1:6379 --user 42
  sessionctl store ls --store "$URL" -q --user 42 | xargs sessionctl store rm --store "$URL"`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.StringVar(&c.prefix, "prefix", "", "only keys starting with `P` (Redis default: \"session:\")")
				fs.StringVar(&c.user, "user", "", "only sessions of the user with this `ID`")
				fs.BoolVar(&c.all, "all", false, "include expired records still stored")
				fs.BoolVar(&c.quiet, "q", false, "print keys only")
				listPrefixFlag(fs, c)
			},
			args: none,
			run:  runLs,
		},
		{
			name: "show",
			help: helpText{
				usage: "sessionctl store show --store URL [--typed] [--id] [--flask-session] [--key-prefix P] [--json] KEY",
				about: `
Print the record under KEY: expiry, owner, version and the session, decoded
with Flask's tagged JSON serializer, or with --flask-session in whichever of
Flask-Session's formats it is (MessagePack, JSON, pickle; "serializer" in the
--json output names it). The session is printed as plain JSON, or in the
typed form of the test vectors with --typed; --json prints one object whose
"session" field holds it. Data that does not decode is printed as base64.
Exit 1 if there is no live record under KEY.`,
				examples: `  sessionctl store show --store sqlite:sessions.db session:4f0c...e1
  sessionctl store show --store redis://127.0.0.1:6379 --id -- "$SESSION_COOKIE_VALUE"
  sessionctl store show --store memcached://127.0.0.1:11211 --flask-session --id --typed --json -- "$SID"`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.BoolVar(&c.typed, "typed", false, "print the session in the typed form of the test vectors")
				idFlags(fs, c)
			},
			args: exactly(1, "one KEY"),
			run:  runShow,
		},
		{
			name: "put",
			help: helpText{
				usage: "sessionctl store put --store URL [--id] [--flask-session] [--key-prefix P] [--typed] [--serializer msgpack|json|pickle|tagged] [--ttl SECONDS] [--user ID] [--json] KEY < session.json",
				about: `
Read one JSON object on stdin (plain JSON, or with --typed the typed form
that 'show --typed' prints) and store it as the session under KEY (with --id:
the session whose id is KEY), replacing any record there, to expire in
--ttl seconds. --serializer picks the encoding: tagged (Flask's tagged JSON,
the session.Manager's default and the default here), or Flask-Session's
msgpack (0.7/0.8), json (0.8's SESSION_SERIALIZATION_FORMAT = "json") or
pickle (0.2-0.6, the default with --flask-session). --user records the
owner in stores with a user index.`,
				examples: `  echo '{"user_id": 42}' | sessionctl store put --store redis://127.0.0.1:6379 --id -- "$SID"
  sessionctl store show --typed --id --store "$OLD" -- "$SID" | jq .session |
    sessionctl store put --typed --id --store "$NEW" -- "$SID"
  echo '{"_flashes": {"$tuple": []}}' | sessionctl store put --store memcached://127.0.0.1:11211 \
    --flask-session --key-prefix "" --id --typed --serializer pickle --ttl 3600 -- "$SID"`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.BoolVar(&c.typed, "typed", false, "stdin is in the typed form of the test vectors")
				fs.StringVar(&c.serializer, "serializer", "", "encode the session as `FORMAT`: tagged, msgpack, json or pickle (default tagged; pickle with --flask-session)")
				fs.Int64Var(&c.ttl, "ttl", defaultMaxAge, "the record expires in `SECONDS` (Flask's PERMANENT_SESSION_LIFETIME)")
				fs.StringVar(&c.user, "user", "", "record the owner's user `ID` (stores with a user index)")
				idFlags(fs, c)
			},
			args: exactly(1, "one KEY"),
			run:  runPut,
		},
		{
			name: "rm",
			help: helpText{
				usage: "sessionctl store rm --store URL [--id] [--flask-session] [--key-prefix P] [--json] KEY...",
				about: `
Delete the records under the given keys. Exit 1 if any of them had no live
record (the others are still deleted).`,
				examples: `  sessionctl store rm --store sqlite:sessions.db session:4f0c...e1
  sessionctl store rm --store "$URL" --id -- "$SESSION_COOKIE_VALUE"`,
			},
			flags: idFlags,
			args: func(n int) error {
				if n == 0 {
					return usageErr("want at least one KEY")
				}
				return nil
			},
			run: runRm,
		},
		{
			name: "revoke",
			help: helpText{
				usage: "sessionctl store revoke --store URL --user ID [--except KEY]... [--json]",
				about: `
Delete every session of the user ID ("log out everywhere"), except the keys
given with --except, through the store's user index, and print how many were
deleted.`,
				examples: `  sessionctl store revoke --store postgres://app@db/app --user 42
  sessionctl store revoke --store "$URL" --user 42 --except session:4f0c...e1`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.StringVar(&c.user, "user", "", "the user's `ID` (required)")
				fs.Var(&c.except, "except", "keep the session under this `KEY` (repeatable)")
			},
			args: none,
			run:  runRevoke,
		},
		{
			name: "purge-expired",
			help: helpText{
				usage: "sessionctl store purge-expired --store URL [--batch N] [--json]",
				about: `
Delete the expired records of a store that does not expire records itself
(SQL, file), in batches, and print how many were deleted. On a terminal a
progress line is updated in place (on stderr). Redis expires records natively:
there is nothing to do. Run it from cron or a systemd timer.`,
				examples: `  sessionctl store purge-expired --store sqlite:/var/lib/app/sessions.db
  SESSIONCTL_STORE=file:/var/lib/app/sessions sessionctl store purge-expired --json`,
			},
			flags: func(fs *flag.FlagSet, c *storeFlags) {
				fs.IntVar(&c.batch, "batch", sqlstore.DefaultSweepBatch, "SQL: rows deleted per statement")
			},
			args: none,
			run:  runPurge,
		},
	}
}

func runStore(s stdio, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(s.err, storeHelp)
		return errReported(exitUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return runStore(s, []string{args[1], "--help"})
		}
		fmt.Fprint(s.out, storeHelp)
		return nil
	}
	for _, sc := range storeCommands() {
		if sc.name != args[0] {
			continue
		}
		return errReported(finish(s, "sessionctl store "+sc.name, runStoreCmd(s, sc, args[1:])))
	}
	return usageErr("unknown store command %q (want stats, ls, show, put, rm, revoke or purge-expired)", args[0])
}

// runStoreCmd parses a store command's flags, opens the store and runs it.
func runStoreCmd(s stdio, sc storeCmd, args []string) error {
	c := &storeFlags{fs: newFlagSet("store " + sc.name)}
	c.fs.StringVar(&c.url, "store", "", "store `URL` (default: $"+envStore+")")
	c.fs.StringVar(&c.table, "table", sqlstore.DefaultTable, "SQL: the sessions `table`")
	c.fs.BoolVar(&c.json, "json", false, "print one JSON object")
	c.fs.BoolVar(&c.flaskSession, "flask-session", false, "the store is laid out as Flask-Session lays it out (key = --key-prefix + session id; file: cachelib, SQL: its SQLAlchemy table)")
	if sc.flags != nil {
		sc.flags(c.fs, c)
	}
	pos, err := parse(s, c.fs, sc.help, args)
	if err != nil {
		return err
	}
	if err := sc.args(len(pos)); err != nil {
		return err
	}
	if c.url == "" {
		c.url = os.Getenv(envStore)
	}
	if c.url == "" {
		return usageErr("no store: give --store URL or set %s", envStore)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := openBackend(ctx, c.url, storeOpts{table: c.table, batch: c.batch, flask: c.flaskSession})
	if err != nil {
		return err
	}
	defer b.close()
	return sc.run(ctx, s, c, b, pos)
}

// prefixFor returns --prefix, or when it was not given --key-prefix with
// --flask-session, else the backend's default.
func (c *storeFlags) prefixFor(b backend) string {
	if isSet(c.fs, "prefix") {
		return c.prefix
	}
	if c.flaskSession {
		return c.keyPrefix
	}
	if _, ok := b.(*redisBackend); ok {
		return session.DefaultKeyPrefix
	}
	return c.prefix
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// when writes an expiry for people: the UTC time and how far away it is.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := t.Sub(now).Round(time.Second)
	rel := "in " + human(int64(d/time.Second))
	if d < 0 {
		rel = human(int64(-d/time.Second)) + " ago"
	}
	return t.UTC().Format(time.RFC3339) + " (" + rel + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runStats(ctx context.Context, s stdio, c *storeFlags, b backend, _ []string) error {
	if c.top < 0 {
		return usageErr("--top must not be negative")
	}
	n, err := countRecords(ctx, b, c.prefixFor(b))
	if err != nil {
		return storeErr(err)
	}
	bd, err := breakdownRecords(ctx, b, c.prefixFor(b), time.Now(), c.top)
	if err != nil {
		return storeErr(err)
	}
	if c.json {
		v := map[string]any{"store": b.describe(), "records": nil, "expired": nil}
		if n.known {
			v["records"], v["counted"] = n.total, n.what
			if n.expired >= 0 {
				v["expired"] = n.expired
			}
		}
		v["by_owner"], v["by_expiry"] = bd.json()
		return outErr(writeJSON(s.out, v))
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "store:\t%s\n", b.describe())
	switch {
	case !n.known:
		fmt.Fprintf(tw, "records:\tunknown (this store cannot count its records cheaply)\n")
	case n.expired > 0:
		fmt.Fprintf(tw, "records:\t%d %s, %d of them expired (run purge-expired)\n", n.total, counted(n.total, n.what), n.expired)
	default:
		fmt.Fprintf(tw, "records:\t%d %s\n", n.total, counted(n.total, n.what))
	}
	if bd != nil && !bd.noOwners {
		fmt.Fprintf(tw, "owners:\t%d %s, %d anonymous %s\n", bd.users, plural(int(bd.users), "user", "users"), bd.anonymous, counted(bd.anonymous, "records"))
	}
	if bd != nil {
		var parts []string
		for _, name := range bucketNames() {
			parts = append(parts, fmt.Sprintf("%s %d", name, bd.expiry[name]))
		}
		fmt.Fprintf(tw, "expires:\t%s\n", strings.Join(parts, ", "))
	}
	if err := tw.Flush(); err != nil {
		return storeErr(err)
	}
	if bd != nil && len(bd.top) > 0 {
		fmt.Fprintf(s.out, "top owners:\n")
		tw = tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		for _, o := range bd.top {
			fmt.Fprintf(tw, "  %s\t%d\n", o.UserID, o.Records)
		}
		return outErr(tw.Flush())
	}
	return nil
}

// outErr classifies a failure to write the output.
func outErr(err error) error {
	if err != nil {
		return storeErr(err)
	}
	return nil
}

func runLs(ctx context.Context, s stdio, c *storeFlags, b backend, _ []string) error {
	o := listOpts{prefix: c.prefixFor(b), user: c.user, all: c.all}
	es, err := listRecords(ctx, b, o)
	if errors.Is(err, errNoListing) {
		return storeErr(fmt.Errorf("%s cannot list its records (only --user, through its user index, where it has one)", b.describe()))
	}
	if errors.Is(err, errNoExpiredListing) {
		return storeErr(fmt.Errorf("--all: %s lists only live records (purge-expired deletes the expired ones)", b.describe()))
	}
	if err != nil {
		return storeErr(err)
	}
	now := time.Now()
	if c.json {
		recs := make([]map[string]any, len(es))
		for i, e := range es {
			recs[i] = map[string]any{"key": e.Key, "expires": timeJSON(e.Expires), "user_id": e.UserID, "expired": e.Expired}
		}
		return outErr(writeJSON(s.out, map[string]any{"store": b.describe(), "count": len(es), "records": recs}))
	}
	if c.quiet {
		for _, e := range es {
			fmt.Fprintln(s.out, e.Key)
		}
		return nil
	}
	if len(es) == 0 {
		fmt.Fprintln(s.out, "no records")
		return nil
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tEXPIRES\tUSER")
	for _, e := range es {
		exp := when(e.Expires, now)
		if e.Expired {
			exp = "EXPIRED " + exp
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Key, exp, orDash(e.UserID))
	}
	return outErr(tw.Flush())
}

// keyOf turns an argument into a store key: as is, or with --id the key
// a Manager derives from a session id (session.StoreKey).
func (c *storeFlags) keyOf(arg string) (string, error) {
	if !c.ids {
		return arg, nil
	}
	if arg == "" {
		return "", usageErr("empty session id")
	}
	return session.StoreKey(c.keyPrefix, arg, c.plainKeys || c.flaskSession), nil
}

func runShow(ctx context.Context, s stdio, c *storeFlags, b backend, args []string) error {
	key, err := c.keyOf(args[0])
	if err != nil {
		return err
	}
	rec, err := b.store().Load(ctx, key)
	if errors.Is(err, session.ErrNotFound) {
		return invalidErr(fmt.Errorf("not found: %s", key))
	}
	if err != nil {
		return storeErr(err)
	}
	values, format, decErr := decodeRecord(rec.Data, c.flaskSession)
	var out any
	if decErr == nil {
		out = render(values, c.typed)
	}
	if decErr != nil {
		what := "Flask tagged JSON"
		if c.flaskSession {
			what = "in any of Flask-Session's formats"
		}
		fmt.Fprintf(s.err, "warning: the data is not %s (%v); showing it as base64\n", what, decErr)
	}
	if c.json {
		v := map[string]any{
			"key":     key,
			"expires": timeJSON(rec.Expires),
			"user_id": rec.UserID,
			"version": rec.Version,
			"size":    len(rec.Data),
		}
		if decErr == nil {
			v["session"] = out
			v["serializer"] = format
		} else {
			v["data_base64"] = base64.StdEncoding.EncodeToString(rec.Data)
			v["error"] = decErr.Error()
		}
		return outErr(writeJSON(s.out, v))
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "key:\t%s\n", key)
	fmt.Fprintf(tw, "expires:\t%s\n", when(rec.Expires, time.Now()))
	fmt.Fprintf(tw, "user:\t%s\n", orDash(rec.UserID))
	fmt.Fprintf(tw, "version:\t%d\n", rec.Version)
	fmt.Fprintf(tw, "size:\t%d bytes\n", len(rec.Data))
	if decErr == nil && c.flaskSession {
		fmt.Fprintf(tw, "serializer:\t%s\n", format)
	}
	if err := tw.Flush(); err != nil {
		return storeErr(err)
	}
	if decErr != nil {
		fmt.Fprintf(s.out, "data (base64):\n%s\n", base64.StdEncoding.EncodeToString(rec.Data))
		return nil
	}
	j, err := marshalIndent(out)
	if err != nil {
		return storeErr(err)
	}
	_, err = fmt.Fprintf(s.out, "session:\n%s\n", j)
	return outErr(err)
}

func marshalIndent(v any) (string, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func runRm(ctx context.Context, s stdio, c *storeFlags, b backend, args []string) error {
	var deleted, missing []string
	for _, a := range args {
		key, err := c.keyOf(a)
		if err != nil {
			return err
		}
		// Delete does not say whether there was a record; Load does.
		_, err = b.store().Load(ctx, key)
		live := err == nil
		if err != nil && !errors.Is(err, session.ErrNotFound) {
			return storeErr(err)
		}
		// Delete even a missing key: it clears an expired record still stored.
		if err := b.store().Delete(ctx, key); err != nil {
			return storeErr(err)
		}
		if live {
			deleted = append(deleted, key)
		} else {
			missing = append(missing, key)
		}
	}
	if c.json {
		if err := writeJSON(s.out, map[string]any{"deleted": nonNil(deleted), "not_found": nonNil(missing)}); err != nil {
			return storeErr(err)
		}
	} else {
		for _, k := range deleted {
			fmt.Fprintf(s.out, "deleted %s\n", k)
		}
	}
	for _, k := range missing {
		fmt.Fprintf(s.err, "not found: %s\n", k)
	}
	if len(missing) > 0 {
		return errReported(exitInvalid)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func runRevoke(ctx context.Context, s stdio, c *storeFlags, b backend, _ []string) error {
	if c.user == "" {
		return usageErr("revoke needs --user ID")
	}
	ui, ok := b.store().(session.UserIndex)
	if !ok {
		return storeErr(fmt.Errorf("%s has no user index", b.describe()))
	}
	n, err := ui.DeleteUserSessions(ctx, c.user, c.except...)
	if err != nil {
		return storeErr(err)
	}
	if c.json {
		return outErr(writeJSON(s.out, map[string]any{"user_id": c.user, "revoked": n}))
	}
	_, err = fmt.Fprintf(s.out, "revoked %d %s of user %s\n", n, plural(n, "session", "sessions"), c.user)
	return outErr(err)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func runPurge(ctx context.Context, s stdio, c *storeFlags, b backend, _ []string) error {
	if c.batch < 1 {
		return usageErr("--batch must be positive")
	}
	if b.nativeTTL() {
		if c.json {
			return outErr(writeJSON(s.out, map[string]any{"deleted": 0, "native_ttl": true}))
		}
		_, err := fmt.Fprintln(s.out, "nothing to do: the backend expires records itself")
		return outErr(err)
	}
	sw, ok := b.store().(session.Sweeper)
	if !ok {
		return storeErr(fmt.Errorf("%s cannot delete expired records", b.describe()))
	}
	var stopProgress func()
	if isTerminal(s.err) {
		stopProgress = progress(ctx, s.err, b)
	}
	n, err := sw.DeleteExpired(ctx)
	if stopProgress != nil {
		stopProgress()
	}
	if err != nil {
		if n > 0 {
			fmt.Fprintf(s.err, "deleted %d expired %s before the error\n", n, plural(n, "record", "records"))
		}
		return storeErr(err)
	}
	if c.json {
		return outErr(writeJSON(s.out, map[string]any{"deleted": n, "native_ttl": false}))
	}
	_, err = fmt.Fprintf(s.out, "deleted %d expired %s\n", n, plural(n, "record", "records"))
	return outErr(err)
}

// progressInterval is how often the progress line is redrawn.
var progressInterval = 200 * time.Millisecond

// progress draws a line on w, redrawn in place, until the returned function
// is called. For SQL it counts the expired rows left, so it shows real
// progress; elsewhere it shows the time spent.
func progress(ctx context.Context, w io.Writer, b backend) (stop func()) {
	start := time.Now()
	sb, isSQL := b.(*sqlBackend)
	var total int64 = -1
	if isSQL {
		if n, err := sb.expiredCount(ctx, start); err == nil {
			total = n
		}
	}
	draw := func() {
		if total >= 0 {
			left, err := sb.expiredCount(ctx, start)
			if err == nil {
				done := total - left
				if done < 0 {
					done = 0
				}
				fmt.Fprintf(w, "\rdeleting expired records: %d of %d", done, total)
				return
			}
		}
		fmt.Fprintf(w, "\rdeleting expired records… %s", time.Since(start).Round(time.Second))
	}
	draw()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		draw()
		fmt.Fprint(w, "\n")
	}
}
