package taggedjson_test

import (
	"errors"
	"testing"

	"github.com/flaskgo/session/taggedjson"
)

// Expected results from Python 3.11's str(uuid.UUID(s)); "" means it raises.
func TestParseUUIDMatchesPython(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12345678123456789abcdef012345678", "12345678-1234-5678-9abc-def012345678"},
		{"12345678-1234-5678-9abc-def012345678", "12345678-1234-5678-9abc-def012345678"},
		{"12345678-1234-5678-9ABC-DEF012345678", "12345678-1234-5678-9abc-def012345678"},
		{"{12345678-1234-5678-9abc-def012345678}", "12345678-1234-5678-9abc-def012345678"},
		{"urn:uuid:12345678-1234-5678-9abc-def012345678", "12345678-1234-5678-9abc-def012345678"},
		{"uuid:12345678123456789abcdef012345678", "12345678-1234-5678-9abc-def012345678"},
		{"{{12345678123456789abcdef012345678}", "12345678-1234-5678-9abc-def012345678"},
		{"uuurn:id:12345678123456789abcdef012345678", "12345678-1234-5678-9abc-def012345678"},
		{"1234-5678-1234-5678-9abc-def0-1234-5678", "12345678-1234-5678-9abc-def012345678"},
		{"0x345678123456789abcdef012345678", "00345678-1234-5678-9abc-def012345678"},
		{"0X_45678123456789abcdef012345678", "00045678-1234-5678-9abc-def012345678"},
		{" 2345678123456789abcdef01234567 ", "00234567-8123-4567-89ab-cdef01234567"},
		{"+2345678123456789abcdef012345678", "02345678-1234-5678-9abc-def012345678"},
		{"-2345678123456789abcdef0123456789", "23456781-2345-6789-abcd-ef0123456789"},
		{"1234567_123456789abcdef012345678", "01234567-1234-5678-9abc-def012345678"},
		{"1234567__23456789abcdef01234567", ""},
		{"\u06612345678123456781234567812345678", "12345678-1234-5678-1234-567812345678"},
		{"\u30002345678123456781234567812345678", "02345678-1234-5678-1234-567812345678"},
		{"\u00a02345678123456781234567812345678", "02345678-1234-5678-1234-567812345678"},
		{"1234567812345678123456781234567", ""},
		{"123456781234567812345678123456789", ""},
		{"g2345678123456789abcdef012345678", ""},
		{"", ""},
		{"{}", ""},
		{"12345678123456789abcdef01234567\u00e9", ""},
		{"_2345678123456789abcdef012345678", ""},
		{"1234567812345678123456781234567_", ""},
		{"+0x45678123456789abcdef012345678", "00045678-1234-5678-9abc-def012345678"},
		{"0x_5678123456789abcdef0123456789", "00056781-2345-6789-abcd-ef0123456789"},
		{"0x__678123456789abcdef0123456789", ""},
		{"\u0661\U0001D7D9345678123456781234567812345678", "11345678-1234-5678-1234-567812345678"},
	}
	for _, tc := range tests {
		u, err := taggedjson.ParseUUID(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseUUID(%q) = %v, Python raises", tc.in, u)
			} else if !errors.Is(err, taggedjson.ErrInvalidUUID) {
				t.Errorf("ParseUUID(%q) error %v does not match ErrInvalidUUID", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseUUID(%q): %v", tc.in, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("ParseUUID(%q) = %s, want %s", tc.in, u, tc.want)
		}
	}
}

func TestUUIDText(t *testing.T) {
	u, err := taggedjson.ParseUUID("12345678-1234-5678-9abc-def012345678")
	if err != nil {
		t.Fatal(err)
	}
	want := taggedjson.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78}
	if u != want {
		t.Fatalf("ParseUUID = %x, want %x", u[:], want[:])
	}
	text, err := u.MarshalText()
	if err != nil || string(text) != "12345678-1234-5678-9abc-def012345678" {
		t.Fatalf("MarshalText = %q, %v", text, err)
	}
	var back taggedjson.UUID
	if err := back.UnmarshalText([]byte("{12345678123456789ABCDEF012345678}")); err != nil || back != u {
		t.Fatalf("UnmarshalText = %v, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("nope")); !errors.Is(err, taggedjson.ErrInvalidUUID) {
		t.Fatalf("UnmarshalText(nope) error = %v", err)
	}
}
