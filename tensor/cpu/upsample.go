package cpu

import "math"

// NearestIndex is the source index PyTorch's nearest interpolation reads
// for output index dst when resizing in -> out along one axis (no explicit
// scale): floor(dst * (in/out)) in float32 arithmetic, clamped to in-1, with
// exact shortcuts for equal sizes and for x2.
func NearestIndex(dst, in, out int) int {
	switch {
	case out == in:
		return dst
	case out == 2*in:
		return dst >> 1
	}
	scale := float32(in) / float32(out)
	return min(int(float32(math.Floor(float64(float32(dst)*scale)))), in-1)
}

func nearestTable(in, out int) []int {
	t := make([]int, out)
	for i := range t {
		t[i] = NearestIndex(i, in, out)
	}
	return t
}

// UpsampleNearest resizes x [planes, h, w] to y [planes, oh, ow], overwriting y.
func UpsampleNearest(y, x []float32, planes, h, w, oh, ow int) {
	checkLen("cpu.UpsampleNearest", "x", x, planes*h*w)
	checkLen("cpu.UpsampleNearest", "y", y, planes*oh*ow)
	rows, cols := nearestTable(h, oh), nearestTable(w, ow)
	Parallel(planes, max(1, 1<<14/max(oh*ow, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := x[p*h*w : (p+1)*h*w]
			dst := y[p*oh*ow : (p+1)*oh*ow]
			for i, r := range rows {
				s := src[r*w : (r+1)*w]
				d := dst[i*ow : (i+1)*ow]
				if i > 0 && rows[i-1] == r {
					copy(d, dst[(i-1)*ow:i*ow])
					continue
				}
				for j, c := range cols {
					d[j] = s[c]
				}
			}
		}
	})
}

// UpsampleNearestBackward sums dy [planes, oh, ow] into dx [planes, h, w]
// (overwriting dx): each source pixel receives the gradients of the output
// pixels that copied it.
func UpsampleNearestBackward(dx, dy []float32, planes, h, w, oh, ow int) {
	checkLen("cpu.UpsampleNearestBackward", "dx", dx, planes*h*w)
	checkLen("cpu.UpsampleNearestBackward", "dy", dy, planes*oh*ow)
	rows, cols := nearestTable(h, oh), nearestTable(w, ow)
	Parallel(planes, max(1, 1<<14/max(oh*ow, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			d := dx[p*h*w : (p+1)*h*w]
			clear(d)
			g := dy[p*oh*ow : (p+1)*oh*ow]
			for i, r := range rows {
				drow := d[r*w : (r+1)*w]
				for j, c := range cols {
					drow[c] += g[i*ow+j]
				}
			}
		}
	})
}
