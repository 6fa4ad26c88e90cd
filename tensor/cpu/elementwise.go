package cpu

// Strided elementwise kernels: a broadcasting binary op, an affine map and a
// general strided copy. They share one walker over an n-d index space whose
// operands each have their own strides (0 on broadcast axes).

// elemGrain is the number of elements below which an elementwise kernel
// runs on one goroutine.
const elemGrain = 1 << 15

// BinOp names an arithmetic function of two arguments.
type BinOp int

// The binary functions.
const (
	BinAdd BinOp = iota
	BinSub
	BinMul
	BinDiv
)

// RowMajorStrides returns the strides of a contiguous row-major array of
// the given shape.
func RowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}

// coalesce drops size-1 axes and merges neighbouring axes that are
// contiguous with each other in every operand, so loops run over as few and
// as long rows as possible. The result has at least one axis.
func coalesce(shape []int, strides ...[]int) ([]int, [][]int) {
	var sh []int
	st := make([][]int, len(strides))
	for d, n := range shape {
		if n == 1 {
			continue
		}
		if last := len(sh) - 1; last >= 0 {
			merge := true
			for k := range strides {
				if st[k][last] != strides[k][d]*n {
					merge = false
					break
				}
			}
			if merge {
				sh[last] *= n
				for k := range strides {
					st[k][last] = strides[k][d]
				}
				continue
			}
		}
		sh = append(sh, n)
		for k := range strides {
			st[k] = append(st[k], strides[k][d])
		}
	}
	if len(sh) == 0 {
		sh = []int{1}
		for k := range st {
			st[k] = []int{0}
		}
	}
	return sh, st
}

// walk visits the row-major flat positions [lo, hi) of shape in runs along
// the last axis: f receives each operand's offset at the start of the run
// (base plus the strided position) and the run length. f must not modify
// offs.
func walk(shape []int, strides [][]int, base []int, lo, hi int, f func(offs []int, n int)) {
	nd := len(shape)
	idx := make([]int, nd)
	r := lo
	for d := nd - 1; d >= 0; d-- {
		idx[d] = r % shape[d]
		r /= shape[d]
	}
	offs := make([]int, len(strides))
	for k := range strides {
		o := base[k]
		for d := 0; d < nd; d++ {
			o += idx[d] * strides[k][d]
		}
		offs[k] = o
	}
	inner := shape[nd-1]
	for pos := lo; pos < hi; {
		n := inner - idx[nd-1]
		if n > hi-pos {
			n = hi - pos
		}
		f(offs, n)
		pos += n
		idx[nd-1] += n
		for k := range strides {
			offs[k] += n * strides[k][nd-1]
		}
		for d := nd - 1; d > 0 && idx[d] == shape[d]; d-- {
			idx[d] = 0
			idx[d-1]++
			for k := range strides {
				offs[k] += strides[k][d-1] - shape[d]*strides[k][d]
			}
		}
	}
}

// Binary sets dst = a op b elementwise over shape, where dst is contiguous
// and a, b are read with the given strides (0 on broadcast axes).
func Binary(op BinOp, dst, a, b []float32, shape, aStrides, bStrides []int) {
	n := len(dst)
	if n == 0 {
		return
	}
	sh, st := coalesce(shape, RowMajorStrides(shape), aStrides, bStrides)
	last := len(sh) - 1
	sa, sb := st[1][last], st[2][last]
	Parallel(n, elemGrain, func(lo, hi int) {
		walk(sh, st, []int{0, 0, 0}, lo, hi, func(o []int, m int) {
			binaryRun(op, dst[o[0]:o[0]+m], a, o[1], sa, b, o[2], sb)
		})
	})
}

// binaryRun computes one run: d[i] = a[ia+i*sa] op b[ib+i*sb].
func binaryRun(op BinOp, d, a []float32, ia, sa int, b []float32, ib, sb int) {
	m := len(d)
	switch {
	case sa == 1 && sb == 1:
		binVV(op, d, a[ia:ia+m], b[ib:ib+m])
	case sa == 1 && sb == 0:
		binVS(op, d, a[ia:ia+m], b[ib])
	case sa == 0 && sb == 1:
		binSV(op, d, a[ia], b[ib:ib+m])
	default:
		switch op {
		case BinAdd:
			for i := range d {
				d[i] = a[ia] + b[ib]
				ia += sa
				ib += sb
			}
		case BinSub:
			for i := range d {
				d[i] = a[ia] - b[ib]
				ia += sa
				ib += sb
			}
		case BinMul:
			for i := range d {
				d[i] = a[ia] * b[ib]
				ia += sa
				ib += sb
			}
		case BinDiv:
			for i := range d {
				d[i] = a[ia] / b[ib]
				ia += sa
				ib += sb
			}
		}
	}
}

// Affine sets dst[i] = src[i]*scale + shift.
func Affine(dst, src []float32, scale, shift float32) {
	src = src[:len(dst)]
	Parallel(len(dst), elemGrain, func(lo, hi int) { scaleShiftVec(dst[lo:hi], src[lo:hi], scale, shift) })
}

// Fill sets every element of dst to v, in parallel for large buffers.
func Fill(dst []float32, v float32) {
	Parallel(len(dst), elemGrain*4, func(lo, hi int) {
		d := dst[lo:hi]
		if v == 0 {
			clear(d)
			return
		}
		for i := range d {
			d[i] = v
		}
	})
}

// Copy copies src into dst (equal lengths), in parallel for large buffers.
func Copy(dst, src []float32) {
	src = src[:len(dst)]
	Parallel(len(dst), elemGrain*4, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// AddTo sets dst[i] += src[i] (equal lengths).
func AddTo(dst, src []float32) {
	src = src[:len(dst)]
	Parallel(len(dst), elemGrain, func(lo, hi int) { binVV(BinAdd, dst[lo:hi], dst[lo:hi], src[lo:hi]) })
}

// StridedCopy copies an n-d block of the given shape: the element at index
// p goes from src[srcOff + p·srcStrides] to dst[dstOff + p·dstStrides]. It
// is the one kernel behind permute, slice, concat and broadcast (stride 0
// in src). Destination positions must not repeat.
func StridedCopy(dst []float32, dstOff int, dstStrides []int, src []float32, srcOff int, srcStrides []int, shape []int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n == 0 {
		return
	}
	sh, st := coalesce(shape, dstStrides, srcStrides)
	last := len(sh) - 1
	sd, ss := st[0][last], st[1][last]
	Parallel(n, elemGrain, func(lo, hi int) {
		walk(sh, st, []int{dstOff, srcOff}, lo, hi, func(o []int, m int) {
			id, is := o[0], o[1]
			switch {
			case sd == 1 && ss == 1:
				copy(dst[id:id+m], src[is:is+m])
			case sd == 1 && ss == 0:
				v := src[is]
				d := dst[id : id+m]
				for i := range d {
					d[i] = v
				}
			default:
				for i := 0; i < m; i++ {
					dst[id] = src[is]
					id += sd
					is += ss
				}
			}
		})
	})
}
