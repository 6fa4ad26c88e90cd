package mask

import (
	"fmt"
	"math"
)

// The compressed string form of RLE counts (rleToString / rleFrString) is
// LEB128-like with 6-bit characters: each character is 48 + a 6-bit group,
// bit 0x20 says "more groups follow", 5 payload bits per group (least
// significant first), and the last group's bit 0x10 is the sign. Counts at
// index 3 and beyond are stored as the difference to the count two places
// before them, which makes alternating run lengths small.

// Compressed returns the compressed string form of r's counts.
func (r RLE) Compressed() string {
	s := make([]byte, 0, len(r.Counts)*2)
	for i, c := range r.Counts {
		x := int64(c)
		if i > 2 {
			x -= int64(r.Counts[i-2])
		}
		for more := true; more; {
			ch := byte(x & 0x1f)
			x >>= 5
			if ch&0x10 != 0 {
				more = x != -1
			} else {
				more = x != 0
			}
			if more {
				ch |= 0x20
			}
			s = append(s, ch+48)
		}
	}
	return string(s)
}

// maxGroups is the longest character group a uint32 delta needs (35 bits).
const maxGroups = 7

// FromCompressed decodes a compressed counts string for an h x w mask. It
// returns an error for characters outside '0'..'o', a truncated last count,
// counts that do not fit 32 bits, and counts that do not sum to h*w.
func FromCompressed(s string, h, w int) (RLE, error) {
	return fromCompressed(s, h, w)
}

// FromCompressedBytes is FromCompressed for a byte slice (for example a
// slice of a JSON file), which it does not retain.
func FromCompressedBytes(b []byte, h, w int) (RLE, error) {
	return fromCompressed(b, h, w)
}

func fromCompressed[S ~string | ~[]byte](s S, h, w int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	// Each count takes at least one character: len(s) bounds their number
	// (most counts take exactly one).
	n := len(s)
	cnts := make([]uint32, 0, n)
	var sum uint64
	for p := 0; p < len(s); {
		start := p
		var x int64
		if c := s[p] - 48; c < 0x20 { // one-character count: the common case
			x = int64(c & 0x1f)
			if c&0x10 != 0 {
				x -= 0x20
			}
			p++
		} else {
			for k := 0; ; k++ {
				if k == maxGroups {
					return RLE{}, fmt.Errorf("mask: RLE string: count %d at byte %d is longer than %d characters", len(cnts), start, maxGroups)
				}
				if p == len(s) {
					return RLE{}, fmt.Errorf("mask: RLE string truncated in count %d at byte %d", len(cnts), start)
				}
				ch := s[p]
				if ch < 48 || ch > 48+63 {
					return RLE{}, fmt.Errorf("mask: RLE string: invalid character %q at byte %d", ch, p)
				}
				c := int64(ch - 48)
				x |= (c & 0x1f) << (5 * k)
				p++
				if c&0x20 == 0 {
					if c&0x10 != 0 {
						x |= -1 << (5 * (k + 1))
					}
					break
				}
			}
		}
		if m := len(cnts); m > 2 {
			x += int64(cnts[m-2])
		}
		if x < 0 || x > math.MaxUint32 {
			return RLE{}, fmt.Errorf("mask: RLE string: count %d at byte %d is %d, outside 0..2^32-1", len(cnts), start, x)
		}
		cnts = append(cnts, uint32(x))
		sum += uint64(x)
	}
	if want := uint64(h) * uint64(w); sum != want {
		return RLE{}, fmt.Errorf("mask: RLE counts sum to %d, want height*width = %dx%d = %d", sum, h, w, want)
	}
	return RLE{H: h, W: w, Counts: cnts}, nil
}
