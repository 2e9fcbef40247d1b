package filestore

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

func TestFormatRoundTrip(t *testing.T) {
	tests := []record{
		{version: 1, expires: 0, data: nil},
		{version: math.MaxUint64, expires: math.MaxInt64, user: "alice", key: "session:abc", data: []byte{0, 1, 2, 255}},
		{version: 42, expires: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), user: "用户", key: "k", data: bytes.Repeat([]byte{0xff}, 1<<16)},
	}
	for _, want := range tests {
		b, err := encode(&want)
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:4]) != "FGS1" {
			t.Errorf("magic = %q", b[:4])
		}
		got, err := decode(b)
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", want, err)
		}
		if got.version != want.version || got.expires != want.expires || got.user != want.user || got.key != want.key || !bytes.Equal(got.data, want.data) {
			t.Errorf("round trip: got %+v; want %+v", got, want)
		}
	}
}

func TestUnixNanoClamps(t *testing.T) {
	tests := []struct {
		in   time.Time
		want int64
	}{
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{time.Time{}, 0},
		{time.Unix(0, 12345), 12345},
	}
	for _, tt := range tests {
		if got := unixNano(tt.in); got != tt.want {
			t.Errorf("unixNano(%v) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, r := range []record{
		{version: 1, key: "k"},
		{version: 9, expires: 1 << 60, user: "alice", key: "session:x", data: []byte(`{"a":1}`)},
	} {
		b, _ := encode(&r)
		f.Add(b)
	}
	f.Add([]byte("FGS1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := encode(r)
		if err != nil {
			t.Fatalf("encode(decode(b)): %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("encode(decode(b)) differs from b")
		}
	})
}
