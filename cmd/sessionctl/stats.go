package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	session "github.com/flaskgo/session"
)

// expiryBuckets are the ranges stats sorts live records into by the time
// left until they expire: each bucket holds the records below its limit
// and at or above the previous one's; "later" holds the rest and "unknown"
// the records whose store reports no expiry (memcached, Redis keys without
// a TTL).
var expiryBuckets = []struct {
	name  string
	limit time.Duration
}{
	{"<1h", time.Hour},
	{"<1d", 24 * time.Hour},
	{"<7d", 7 * 24 * time.Hour},
	{"<30d", 30 * 24 * time.Hour},
}

const (
	bucketLater   = "later"
	bucketUnknown = "unknown"
)

// bucketNames lists every bucket in order, for output.
func bucketNames() []string {
	names := make([]string, 0, len(expiryBuckets)+2)
	for _, b := range expiryBuckets {
		names = append(names, b.name)
	}
	return append(names, bucketLater, bucketUnknown)
}

// ownerCount is one user's number of live records.
type ownerCount struct {
	UserID  string `json:"user_id"`
	Records int64  `json:"records"`
}

// breakdown is what stats reports beyond the count: live records by owner
// and by time left.
type breakdown struct {
	anonymous int64
	users     int64        // distinct owners
	top       []ownerCount // the owners with most records, most first, ties by id
	expiry    map[string]int64
	noOwners  bool // the store records no owners (cachelib files)
}

// bucketOf names the bucket of a record expiring at exp.
func bucketOf(exp, now time.Time) string {
	if exp.IsZero() {
		return bucketUnknown
	}
	left := exp.Sub(now)
	for _, b := range expiryBuckets {
		if left < b.limit {
			return b.name
		}
	}
	return bucketLater
}

func newBreakdown() *breakdown {
	bd := &breakdown{expiry: make(map[string]int64)}
	for _, n := range bucketNames() {
		bd.expiry[n] = 0
	}
	return bd
}

// breakdownOf sorts listing rows (live records) by owner and by expiry.
func breakdownOf(infos []session.RecordInfo, now time.Time, top int) *breakdown {
	bd := newBreakdown()
	per := make(map[string]int64)
	for _, in := range infos {
		bd.expiry[bucketOf(in.Expires, now)]++
		if in.UserID == "" {
			bd.anonymous++
			continue
		}
		per[in.UserID]++
	}
	bd.users = int64(len(per))
	for id, n := range per {
		bd.top = append(bd.top, ownerCount{UserID: id, Records: n})
	}
	sortOwners(bd.top)
	if len(bd.top) > top {
		bd.top = bd.top[:top]
	}
	return bd
}

func sortOwners(o []ownerCount) {
	sort.Slice(o, func(i, j int) bool {
		if o[i].Records != o[j].Records {
			return o[i].Records > o[j].Records
		}
		return o[i].UserID < o[j].UserID
	})
}

// breakdowner is implemented by backends that aggregate in the store
// (SQL GROUP BY) instead of listing every record.
type breakdowner interface {
	breakdown(ctx context.Context, prefix string, now time.Time, top int) (*breakdown, error)
}

// breakdownRecords returns the breakdown of the live records under prefix,
// or nil when the store can give it only by reading every record's data
// (it cannot list them: memcached).
func breakdownRecords(ctx context.Context, b backend, prefix string, now time.Time, top int) (*breakdown, error) {
	if br, ok := b.(breakdowner); ok {
		return br.breakdown(ctx, prefix, now, top)
	}
	l, ok := b.store().(session.Lister)
	if !ok {
		return nil, nil
	}
	infos, err := l.ListSessions(ctx, prefix, 0)
	if err != nil {
		return nil, err
	}
	return breakdownOf(infos, now, top), nil
}

// breakdown aggregates in SQL: one pass for the expiry buckets and the
// anonymous count, one for the number of owners and one, on the user_id
// index, for the top owners. Expired rows still stored are left out.
func (b *sqlBackend) breakdown(ctx context.Context, prefix string, now time.Time, top int) (*breakdown, error) {
	exp, uid, tbl := b.quote("expires_at"), b.quote("user_id"), b.quote(b.table)
	cond, args := b.prefixRange(prefix)
	live := " WHERE " + exp + " > ?" + cond
	liveArgs := append([]any{now.UnixNano()}, args...)
	anon := "(" + uid + " IS NULL OR " + uid + " = '')"
	owned := " AND " + uid + " IS NOT NULL AND " + uid + " <> ''"

	// Buckets as bucketOf draws them: lower <= expiry < upper.
	var cols []string
	var colArgs []any
	lower := now.UnixNano()
	for i, bk := range expiryBuckets {
		upper := now.Add(bk.limit).UnixNano()
		op := ">="
		if i == 0 {
			op = ">" // live records only
		}
		cols = append(cols, "COUNT(CASE WHEN "+exp+" "+op+" ? AND "+exp+" < ? THEN 1 END)")
		colArgs = append(colArgs, lower, upper)
		lower = upper
	}
	cols = append(cols, "COUNT(CASE WHEN "+exp+" >= ? THEN 1 END)", "COUNT(CASE WHEN "+anon+" THEN 1 END)")
	colArgs = append(colArgs, lower)

	bd := newBreakdown()
	dest := make([]any, 0, len(expiryBuckets)+2)
	counts := make([]int64, len(expiryBuckets)+1)
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	dest = append(dest, &bd.anonymous)
	q := b.query("SELECT " + strings.Join(cols, ", ") + " FROM " + tbl + live)
	if err := b.db.QueryRowContext(ctx, q, append(colArgs, liveArgs...)...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("counting rows of %s by expiry: %w", b.table, err)
	}
	for i, bk := range expiryBuckets {
		bd.expiry[bk.name] = counts[i]
	}
	bd.expiry[bucketLater] = counts[len(expiryBuckets)]

	q = b.query("SELECT COUNT(DISTINCT " + uid + ") FROM " + tbl + live + owned)
	if err := b.db.QueryRowContext(ctx, q, liveArgs...).Scan(&bd.users); err != nil {
		return nil, fmt.Errorf("counting the owners in %s: %w", b.table, err)
	}
	if top <= 0 {
		return bd, nil
	}
	q = b.query("SELECT " + uid + ", COUNT(*) FROM " + tbl + live + owned +
		" GROUP BY " + uid + " ORDER BY COUNT(*) DESC, " + uid + " LIMIT " + fmt.Sprint(top))
	rows, err := b.db.QueryContext(ctx, q, liveArgs...)
	if err != nil {
		return nil, fmt.Errorf("counting rows of %s by owner: %w", b.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var o ownerCount
		if err := rows.Scan(&o.UserID, &o.Records); err != nil {
			return nil, fmt.Errorf("counting rows of %s by owner: %w", b.table, err)
		}
		bd.top = append(bd.top, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting rows of %s by owner: %w", b.table, err)
	}
	// The database orders ties by its collation; make it bytewise.
	sortOwners(bd.top)
	return bd, nil
}

// json renders the breakdown for stats --json.
func (bd *breakdown) json() (byOwner, byExpiry any) {
	if bd == nil {
		return nil, nil
	}
	if bd.noOwners {
		return nil, bd.expiry
	}
	top := bd.top
	if top == nil {
		top = []ownerCount{}
	}
	return map[string]any{"anonymous": bd.anonymous, "users": bd.users, "top": top}, bd.expiry
}
