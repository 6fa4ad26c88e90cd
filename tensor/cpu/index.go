package cpu

// Gather and ScatterAdd along one axis. Both walk an index space `shape`
// (the shape of the index array) split as [outer axes, axis, inner axes].
// At position p with k = idx[p·idxStrides]:
//
//	Gather:     dst[p·dstStrides] = src[p·srcStrides with p[axis] replaced by k]
//	ScatterAdd: dst[p·dstStrides with p[axis] replaced by k] += src[p·srcStrides]
//
// IndexSelect is the case idxStrides = 0 except 1 on the axis. Indices are
// trusted (the tensor package validates them). ScatterAdd is race-free: work
// is split over outer and inner positions, which never share a destination,
// and the axis (where indices may repeat) is walked by one goroutine.

// Gather reads src at indexed positions along axis; see the comment above.
func Gather(dst []float32, dstStrides []int, src []float32, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int) {
	indexWalk(shape, axis, dstStrides, srcStrides, idxStrides, func(p indexPlan, olo, ohi, ilo, ihi int) {
		dA, sA, iA := p.aStride[0], p.aStride[1], p.aStride[2]
		for o := olo; o < ohi; o++ {
			do, so, io := p.outer[0][o], p.outer[1][o], p.outer[2][o]
			for j := 0; j < p.axisLen; j++ {
				if p.plainInner {
					k := int(idx[io+j*iA])
					d := do + j*dA
					s := so + k*sA
					copy(dst[d+ilo:d+ihi], src[s+ilo:s+ihi])
					continue
				}
				for i := ilo; i < ihi; i++ {
					k := int(idx[io+j*iA+p.inner[2][i]])
					dst[do+j*dA+p.inner[0][i]] = src[so+k*sA+p.inner[1][i]]
				}
			}
		}
	})
}

// ScatterAdd accumulates src into dst at indexed positions along axis; see
// the comment above. Repeated indices accumulate.
func ScatterAdd(dst []float32, dstStrides []int, src []float32, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int) {
	indexWalk(shape, axis, dstStrides, srcStrides, idxStrides, func(p indexPlan, olo, ohi, ilo, ihi int) {
		dA, sA, iA := p.aStride[0], p.aStride[1], p.aStride[2]
		for o := olo; o < ohi; o++ {
			do, so, io := p.outer[0][o], p.outer[1][o], p.outer[2][o]
			for j := 0; j < p.axisLen; j++ {
				if p.plainInner {
					k := int(idx[io+j*iA])
					d := dst[do+k*dA+ilo : do+k*dA+ihi]
					s := src[so+j*sA+ilo : so+j*sA+ihi]
					for i, v := range s {
						d[i] += v
					}
					continue
				}
				for i := ilo; i < ihi; i++ {
					k := int(idx[io+j*iA+p.inner[2][i]])
					dst[do+k*dA+p.inner[0][i]] += src[so+j*sA+p.inner[1][i]]
				}
			}
		}
	})
}

// indexPlan holds, for the operands dst, src, idx (in that order), the
// offsets of every outer position and every inner position, and the strides
// along the axis.
type indexPlan struct {
	outer, inner [3][]int
	aStride      [3]int
	axisLen      int
	// plainInner: inner positions are 0,1,2,... in dst and src and the index
	// does not vary over them, so an inner run is a slice copy.
	plainInner bool
}

// indexWalk builds the plan and calls body on disjoint blocks of outer
// positions [olo, ohi) x inner positions [ilo, ihi).
func indexWalk(shape []int, axis int, dstStrides, srcStrides, idxStrides []int, body func(p indexPlan, olo, ohi, ilo, ihi int)) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n == 0 {
		return
	}
	strides := [3][]int{dstStrides, srcStrides, idxStrides}
	var p indexPlan
	p.axisLen = shape[axis]
	for k := range strides {
		p.outer[k] = offsetTable(shape[:axis], strides[k][:axis])
		p.inner[k] = offsetTable(shape[axis+1:], strides[k][axis+1:])
		p.aStride[k] = strides[k][axis]
	}
	p.plainInner = true
	for i := range p.inner[0] {
		if p.inner[0][i] != i || p.inner[1][i] != i || p.inner[2][i] != 0 {
			p.plainInner = false
			break
		}
	}
	no, ni := len(p.outer[0]), len(p.inner[0])
	per := p.axisLen * ni // work per outer position
	if no >= 2*Threads() || ni == 1 {
		grain := elemGrain / per
		if grain < 1 {
			grain = 1
		}
		Parallel(no, grain, func(lo, hi int) { body(p, lo, hi, 0, ni) })
		return
	}
	grain := elemGrain / (no * p.axisLen)
	if grain < 1 {
		grain = 1
	}
	Parallel(ni, grain, func(lo, hi int) { body(p, 0, no, lo, hi) })
}

// offsetTable lists p·strides for every p of shape in row-major order.
func offsetTable(shape, strides []int) []int {
	t := []int{0}
	for d, n := range shape {
		next := make([]int, 0, len(t)*n)
		for _, base := range t {
			for j := 0; j < n; j++ {
				next = append(next, base+j*strides[d])
			}
		}
		t = next
	}
	return t
}
