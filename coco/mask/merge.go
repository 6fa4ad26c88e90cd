package mask

import "fmt"

// Merge returns the union (intersect false) or intersection (intersect true)
// of masks of one size (rleMerge). One mask is returned as a copy; no masks
// give an empty 0x0 RLE.
func Merge(rs []RLE, intersect bool) (RLE, error) {
	if len(rs) == 0 {
		return RLE{}, nil
	}
	h, w := rs[0].H, rs[0].W
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			return RLE{}, fmt.Errorf("mask: Merge operand %d: %w", i, err)
		}
		if rs[i].H != h || rs[i].W != w {
			return RLE{}, fmt.Errorf("mask: Merge operand %d is %dx%d, operand 0 is %dx%d", i, rs[i].H, rs[i].W, h, w)
		}
	}
	acc := append([]uint32(nil), rs[0].Counts...)
	for i := 1; i < len(rs); i++ {
		acc = merge2(acc, rs[i].Counts, intersect)
	}
	return RLE{H: h, W: w, Counts: acc}, nil
}

// Union is Merge(rs, false).
func Union(rs ...RLE) (RLE, error) { return Merge(rs, false) }

// Intersection is Merge(rs, true).
func Intersection(rs ...RLE) (RLE, error) { return Merge(rs, true) }

// merge2 walks both run lists in step, exactly as rleMerge's inner loop, so
// that non-canonical inputs (zero-length runs) give pycocotools' output too.
func merge2(A, B []uint32, intersect bool) []uint32 {
	if len(A) == 0 || len(B) == 0 {
		// Only a 0-pixel mask has no counts; the merge is empty too.
		return []uint32{}
	}
	out := make([]uint32, 0, len(A)+len(B))
	ca, cb := A[0], B[0]
	var va, vb, v bool
	a, b := 1, 1
	var cc uint32
	for ct := uint32(1); ct > 0; {
		c := min(ca, cb)
		cc += c
		ct = 0
		ca -= c
		if ca == 0 && a < len(A) {
			ca = A[a]
			a++
			va = !va
		}
		ct += ca
		cb -= c
		if cb == 0 && b < len(B) {
			cb = B[b]
			b++
			vb = !vb
		}
		ct += cb
		vp := v
		if intersect {
			v = va && vb
		} else {
			v = va || vb
		}
		if v != vp || ct == 0 {
			out = append(out, cc)
			cc = 0
		}
	}
	return out
}
