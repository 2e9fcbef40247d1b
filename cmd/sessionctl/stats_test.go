package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	session "github.com/flaskgo/session"
)

type statsJSON struct {
	Records *int64 `json:"records"`
	ByOwner *struct {
		Anonymous int64        `json:"anonymous"`
		Users     int64        `json:"users"`
		Top       []ownerCount `json:"top"`
	} `json:"by_owner"`
	ByExpiry map[string]int64 `json:"by_expiry"`
}

// TestStatsBreakdown writes records with known owners and expiries to each
// real store and checks stats' counts by owner and by expiry bucket.
func TestStatsBreakdown(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			url, flags, open := fx.setup(t)
			st := open(time.Now)
			ctx := context.Background()
			prefix := "sctl-stats-" + randHex(t, 4) + ":"
			u1, u2 := "u1-"+randHex(t, 2), "u2-"+randHex(t, 2)
			recs := []struct {
				left time.Duration
				user string
			}{
				{10 * time.Minute, u1},
				{5 * time.Hour, u1},
				{3 * 24 * time.Hour, u2},
				{20 * 24 * time.Hour, ""},
				{60 * 24 * time.Hour, u1},
				{90 * 24 * time.Hour, u2},
			}
			var keys []string
			for i, r := range recs {
				key := prefix + string(rune('a'+i))
				keys = append(keys, key)
				if err := st.Save(ctx, key, session.Record{Data: []byte(`{"n":1}`), Expires: time.Now().Add(r.left), UserID: r.user}); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for _, k := range keys {
					st.Delete(ctx, k)
				}
			})
			if !fx.nativeTTL {
				// Expired rows are left out of the breakdown.
				if err := open(func() time.Time { return time.Now().Add(-2 * time.Hour) }).Save(ctx, prefix+"old", session.Record{Data: []byte("{}"), Expires: time.Now().Add(-time.Hour), UserID: u1}); err != nil {
					t.Fatal(err)
				}
				keys = append(keys, prefix+"old")
			}
			base := append([]string{"store", "stats", "--json", "--store", url, "--prefix", prefix}, flags...)
			wantExpiry := map[string]int64{"<1h": 1, "<1d": 1, "<7d": 1, "<30d": 1, "later": 2, "unknown": 0}
			tests := []struct {
				top  string
				want []ownerCount
			}{
				{"10", []ownerCount{{u1, 3}, {u2, 2}}},
				{"1", []ownerCount{{u1, 3}}},
				{"0", []ownerCount{}},
			}
			for _, tt := range tests {
				out, _ := mustRun(t, exitOK, "", append(base, "--top", tt.top)...)
				var v statsJSON
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				if v.ByOwner == nil || v.ByOwner.Anonymous != 1 || v.ByOwner.Users != 2 || !reflect.DeepEqual(v.ByOwner.Top, tt.want) {
					t.Errorf("--top %s: by_owner %s, want anonymous 1, users 2, top %v", tt.top, out, tt.want)
				}
				if !reflect.DeepEqual(v.ByExpiry, wantExpiry) {
					t.Errorf("--top %s: by_expiry %v, want %v", tt.top, v.ByExpiry, wantExpiry)
				}
			}
			text, _ := mustRun(t, exitOK, "", append([]string{"store", "stats", "--store", url, "--prefix", prefix}, flags...)...)
			for _, w := range []string{
				"owners:   2 users, 1 anonymous record\n",
				"expires:  <1h 1, <1d 1, <7d 1, <30d 1, later 2, unknown 0\n",
				"top owners:\n  " + u1 + "  3\n  " + u2 + "  2\n",
			} {
				if !strings.Contains(text, w) {
					t.Errorf("stats text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestBucketOf(t *testing.T) {
	now := time.Unix(1700000000, 0)
	tests := []struct {
		exp  time.Time
		want string
	}{
		{time.Time{}, "unknown"},
		{now.Add(time.Second), "<1h"},
		{now.Add(time.Hour - time.Nanosecond), "<1h"},
		{now.Add(time.Hour), "<1d"},
		{now.Add(24 * time.Hour), "<7d"},
		{now.Add(7 * 24 * time.Hour), "<30d"},
		{now.Add(30 * 24 * time.Hour), "later"},
	}
	for _, tt := range tests {
		if got := bucketOf(tt.exp, now); got != tt.want {
			t.Errorf("bucketOf(now+%v) = %s, want %s", tt.exp.Sub(now), got, tt.want)
		}
	}
}
