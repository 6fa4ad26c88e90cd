package pth

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// scanOpcodes walks a pickle's opcodes without executing them and checks
// that every length-prefixed argument fits in the remaining bytes, so the
// decoder never allocates more than the stream holds. Opcodes outside
// protocols 0-5 are errors.
func scanOpcodes(p []byte) error {
	i := 0
	need := func(n uint64) error {
		if n > uint64(len(p)-i) {
			return fmt.Errorf("opcode at byte %d needs %d bytes, %d remain", i-1, n, len(p)-i)
		}
		return nil
	}
	for i < len(p) {
		op := p[i]
		i++
		var err error
		switch op {
		// No argument.
		case '(', '.', '0', '1', '2', 'N', 'R', ']', 'a', 'b', 'd', 'e', 'l', 's', 't', 'u', '}', ')', 'o', 'Q',
			0x85, 0x86, 0x87, 0x88, 0x89, 0x81, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98:
			if op == '.' {
				return nil
			}
		// Fixed-size arguments.
		case 'K', 'q', 'h':
			err = need(1)
			i++
		case 'M':
			err = need(2)
			i += 2
		case 'J', 'r', 'j':
			err = need(4)
			i += 4
		case 'G':
			err = need(8)
			i += 8
		case 0x80: // PROTO
			err = need(1)
			i++
		case 0x82: // EXT1
			err = need(1)
			i++
		case 0x83: // EXT2
			err = need(2)
			i += 2
		case 0x84: // EXT4
			err = need(4)
			i += 4
		// Newline-terminated arguments.
		case 'I', 'L', 'S', 'V', 'F', 'P', 'p', 'g':
			err = line(p, &i, 1)
		case 'c', 'i': // GLOBAL, INST: two lines
			err = line(p, &i, 2)
		// Length-prefixed arguments.
		case 'U', 'C', 0x8c, 0x8a: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE, LONG1
			if err = need(1); err == nil {
				n := uint64(p[i])
				i++
				if err = need(n); err == nil {
					i += int(n)
				}
			}
		case 'T', 'B', 'X', 0x8b: // BINSTRING, BINBYTES, BINUNICODE, LONG4
			if err = need(4); err == nil {
				n := uint64(binary.LittleEndian.Uint32(p[i:]))
				i += 4
				if err = need(n); err == nil {
					i += int(n)
				}
			}
		case 0x8d, 0x8e, 0x96: // BINUNICODE8, BINBYTES8, BYTEARRAY8
			if err = need(8); err == nil {
				n := binary.LittleEndian.Uint64(p[i:])
				i += 8
				if err = need(n); err == nil {
					i += int(n)
				}
			}
		case 0x95: // FRAME: an 8-byte length of what follows
			if err = need(8); err == nil {
				n := binary.LittleEndian.Uint64(p[i:])
				i += 8
				err = need(n)
			}
		default:
			return fmt.Errorf("unknown pickle opcode 0x%02x at byte %d", op, i-1)
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("pickle has no STOP opcode")
}

// line skips n newline-terminated arguments.
func line(p []byte, i *int, n int) error {
	for ; n > 0; n-- {
		j := bytes.IndexByte(p[*i:], '\n')
		if j < 0 {
			return fmt.Errorf("unterminated argument at byte %d", *i)
		}
		*i += j + 1
	}
	return nil
}
