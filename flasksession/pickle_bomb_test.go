package flasksession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// stringBomb is a protocol-2 pickle of {"k": [s, s, s, ...]}: one string of
// size bytes, memoized once and referenced refs times.
func stringBomb(size, refs int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02}q\x00")     // PROTO 2, EMPTY_DICT, BINPUT 0
	b.WriteString("X\x01\x00\x00\x00k") // BINUNICODE "k"
	b.WriteString("]q\x01(")            // EMPTY_LIST, BINPUT 1, MARK
	b.WriteByte('X')
	binary.Write(&b, binary.LittleEndian, uint32(size))
	b.WriteString(strings.Repeat("a", size))
	b.WriteString("q\x02") // BINPUT 2
	for i := 1; i < refs; i++ {
		b.WriteString("h\x02") // BINGET 2
	}
	b.WriteString("es.") // APPENDS, SETITEM, STOP
	return b.Bytes()
}

func TestPickleAmplification(t *testing.T) {
	// A few references to a string are fine.
	if v, err := (Pickle{}).Unmarshal(stringBomb(1000, 10)); err != nil || len(v["k"].([]any)) != 10 {
		t.Fatalf("small shared string: %v, %v", v, err)
	}
	// 20 KB referenced 20,000 times would be 400 MB once encoded.
	bomb := stringBomb(20<<10, 20000)
	_, err := (Pickle{}).Unmarshal(bomb)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d-byte pickle expanding to 400 MB: err = %v, want ErrTooLarge", len(bomb), err)
	}

	// A 1 MB LONG4 integer is refused by its size, before any conversion,
	// and the error does not quote it.
	var long bytes.Buffer
	long.WriteString("\x80\x02}X\x01\x00\x00\x00k\x8b")
	binary.Write(&long, binary.LittleEndian, uint32(1<<20))
	long.Write(bytes.Repeat([]byte{0x11}, 1<<20))
	long.WriteString("s.")
	_, err = (Pickle{}).Unmarshal(long.Bytes())
	if !errors.Is(err, ErrUnsupportedValue) || len(err.Error()) > 400 {
		t.Fatalf("1 MB LONG4: err = %.300v (%d bytes), want a short ErrUnsupportedValue", err, len(err.Error()))
	}
}

func TestPickleErrorMessagesAreCapped(t *testing.T) {
	// An unknown global whose name is 100 KB long.
	name := strings.Repeat("x", 100<<10)
	data := []byte("\x80\x02c" + name + "\n" + name + "\n.")
	_, err := (Pickle{}).Unmarshal(data)
	if err == nil {
		t.Fatal("no error for an unknown global")
	}
	if len(err.Error()) > 400 {
		t.Errorf("error message is %d bytes: it quotes the input unbounded", len(err.Error()))
	}
}
