package flasksession

import "strconv"

// stackOp runs the stack, mark, frame and memo opcodes.
func (u *unpickler) stackOp(c byte) error {
	switch c {
	case 0x80: // PROTO
		b, err := u.read(1)
		if err != nil {
			return err
		}
		if b[0] > 5 {
			return u.fail(ErrSyntax, "unsupported pickle protocol: %d", b[0])
		}
	case 0x95: // FRAME: a length prefix only; opcodes follow as usual.
		n, err := u.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(u.data)-u.i) {
			return u.truncated()
		}
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		if n := len(u.marks); n > 0 && u.marks[n-1] == len(u.stack) {
			u.marks = u.marks[:n-1]
			return nil
		}
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)

	case 'p', 'q', 'r', 0x94: // PUT, BINPUT, LONG_BINPUT, MEMOIZE
		var idx int64
		switch c {
		case 'p':
			s, err := u.readLine()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return u.fail(ErrSyntax, "invalid PUT argument %.64q", s)
			}
			idx = n
		case 'q':
			n, err := u.uint(1)
			if err != nil {
				return err
			}
			idx = int64(n)
		case 'r':
			n, err := u.uint(4)
			if err != nil {
				return err
			}
			idx = int64(n)
		default:
			idx = int64(len(u.memo))
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[idx] = v
	case 'g', 'h', 'j': // GET, BINGET, LONG_BINGET
		var idx int64
		switch c {
		case 'g':
			s, err := u.readLine()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return u.fail(ErrSyntax, "invalid GET argument %.64q", s)
			}
			idx = n
		case 'h':
			n, err := u.uint(1)
			if err != nil {
				return err
			}
			idx = int64(n)
		default:
			n, err := u.uint(4)
			if err != nil {
				return err
			}
			idx = int64(n)
		}
		v, ok := u.memo[idx]
		if !ok {
			return u.fail(ErrSyntax, "memo value not found at index %d", idx)
		}
		u.push(v)

	}
	return nil
}
