package flasksession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// pickleDict wraps body (which leaves one value on the stack) as the
// protocol 2 pickle of {"k": value}.
func pickleDict(body []byte) []byte {
	p := []byte("\x80\x02}X\x01\x00\x00\x00k")
	p = append(p, body...)
	return append(p, 's', '.')
}

func TestPickleLimits(t *testing.T) {
	// One 20 KB string referenced 20,000 times: 60 KB of pickle that
	// would re-encode to 400 MB.
	var shared bytes.Buffer
	shared.WriteString("](X")
	shared.Write(binary.LittleEndian.AppendUint32(nil, 20000))
	shared.WriteString(strings.Repeat("x", 20000))
	shared.WriteString("q\x01")
	shared.WriteString(strings.Repeat("h\x01", 19999))
	shared.WriteString("e")

	// A LONG4 of 1 MB: refused before it is built or converted.
	long4 := append([]byte{0x8b}, binary.LittleEndian.AppendUint32(nil, 1<<20)...)
	long4 = append(long4, bytes.Repeat([]byte{0x7f}, 1<<20)...)

	// A call with 100,000 arguments: the error names a few, not all.
	manyArgs := []byte("cdatetime\ndatetime\n(" + strings.Repeat("K\x01", 100000) + "tR")

	tests := []struct {
		name   string
		pickle []byte
		want   error
	}{
		{"string shared 20,000 times", pickleDict(shared.Bytes()), ErrTooLarge},
		{"1 MB LONG4", pickleDict(long4), ErrUnsupportedValue},
		{"100,000 arguments", pickleDict(manyArgs), ErrUnsupportedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Pickle{}.Unmarshal(tt.pickle)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n := len(err.Error()); n > 300 {
				t.Errorf("error message has %d bytes; it must not quote the input at length", n)
			}
		})
	}

	// Still fine: the same string referenced a few times.
	var few bytes.Buffer
	few.WriteString("](X")
	few.Write(binary.LittleEndian.AppendUint32(nil, 20000))
	few.WriteString(strings.Repeat("x", 20000))
	few.WriteString("q\x01h\x01h\x01e")
	m, err := Pickle{}.Unmarshal(pickleDict(few.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := m["k"].([]any); len(l) != 3 {
		t.Errorf("got %v", m["k"])
	}
}
