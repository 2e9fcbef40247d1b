package main

import (
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := []byte(`Running 1s test @ http://127.0.0.1:18401/write
BENCH requests 1000
BENCH duration_us 2000000
BENCH p50_us 1500
BENCH p99_us 12345
BENCH errors 0 0 0 3 0
BENCH ok2xx 490 2
BENCH ok2xx 507 1
BENCH last 0 session=abc
BENCH last 7 session=def.ghi
`)
	res, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"requests", res.requests, int64(1000)},
		{"rps", res.rps(), 500.0},
		{"p50", res.p50, 1500 * time.Microsecond},
		{"p99", res.p99, 12345 * time.Microsecond},
		{"ok2xx summed over threads", res.ok2xx, int64(997)},
		{"non2xx", res.non2xx, int64(3)},
		{"errors", res.errors, "connect/read/write/status/timeout 0/0/0/3/0"},
		{"last 0", res.last[0], "session=abc"},
		{"last 7", res.last[7], "session=def.ghi"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseWrkNoSummary(t *testing.T) {
	if _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Fatal("parseWrk accepted output without a summary")
	}
}

func TestWrkSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "1s"}, {300 * time.Millisecond, "1s"}, {2 * time.Second, "2s"}, {2600 * time.Millisecond, "3s"}, {time.Minute, "60s"}} {
		if got := wrkSeconds(tt.d); got != tt.want {
			t.Errorf("wrkSeconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
