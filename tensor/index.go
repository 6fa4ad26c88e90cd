package tensor

import "fmt"

// Indexing along one axis with int32 indices: IndexSelect, Gather (torch.gather)
// and ScatterAdd (torch.Tensor.scatter_add, out of place). All three run on
// the backend's Gather/ScatterAdd pair; each one's backward is the other.
// Indices are checked here: an out-of-range index is a programmer error and
// panics naming the op, the index and the size. Index slices are copied, so
// callers may reuse them after the call.

// IndexSelect picks the entries idx of x along axis: the result has x's
// shape with that axis of size len(idx). Indices may repeat; the backward
// accumulates their gradients.
func IndexSelect(x *Tensor, axis int, idx []int32) *Tensor {
	ax := x.axis("IndexSelect", axis)
	idx = checkIndices("IndexSelect", idx, x.shape[ax], x.shape, axis)
	shape := cloneInts(x.shape)
	shape[ax] = len(idx)
	istr := make([]int, len(shape))
	istr[ax] = 1
	b := x.Backend()
	out := newOn(b, shape)
	b.Gather(out.buf, contiguousStrides(shape), x.buf, contiguousStrides(x.shape), shape, ax, idx, istr)
	xs := x.shape
	return record("IndexSelect", out, func(g *Tensor) []*Tensor {
		dx := newOn(b, cloneInts(xs))
		b.ScatterAdd(dx.buf, contiguousStrides(xs), g.buf, contiguousStrides(shape), shape, ax, idx, istr)
		return []*Tensor{dx}
	}, x)
}

// Gather follows torch.gather: idx (row-major, of shape idxShape, same rank
// as x, idxShape[d] <= x's size on every other axis d) gives the result
// out[p] = x[p with p[axis] replaced by idx[p]], of shape idxShape.
func Gather(x *Tensor, axis int, idx []int32, idxShape []int) *Tensor {
	ax := x.axis("Gather", axis)
	idxShape = checkIndexShape("Gather", x.shape, ax, idx, idxShape, "", nil)
	idx = checkIndices("Gather", idx, x.shape[ax], x.shape, axis)
	b := x.Backend()
	out := newOn(b, idxShape)
	ist := contiguousStrides(idxShape)
	b.Gather(out.buf, ist, x.buf, contiguousStrides(x.shape), idxShape, ax, idx, ist)
	xs := x.shape
	return record("Gather", out, func(g *Tensor) []*Tensor {
		dx := newOn(b, cloneInts(xs))
		b.ScatterAdd(dx.buf, contiguousStrides(xs), g.buf, ist, idxShape, ax, idx, ist)
		return []*Tensor{dx}
	}, x)
}

// ScatterAdd returns a copy of dst to which, at every position p of
// idxShape, src[p] is added at p with p[axis] replaced by idx[p] (torch's
// scatter_add). dst, src and the index have equal rank; idxShape[d] <=
// src's size on every axis and <= dst's size on every axis but axis.
// Repeated indices accumulate.
func ScatterAdd(dst *Tensor, axis int, idx []int32, idxShape []int, src *Tensor) *Tensor {
	ax := dst.axis("ScatterAdd", axis)
	idxShape = checkIndexShape("ScatterAdd", dst.shape, ax, idx, idxShape, "src", src.shape)
	idx = checkIndices("ScatterAdd", idx, dst.shape[ax], dst.shape, axis)
	b := sameBackend("ScatterAdd", dst, src)
	out := dst.Clone()
	ist := contiguousStrides(idxShape)
	dstStr, srcStr := contiguousStrides(dst.shape), contiguousStrides(src.shape)
	b.ScatterAdd(out.buf, dstStr, src.buf, srcStr, idxShape, ax, idx, ist)
	ss := src.shape
	return record("ScatterAdd", out, func(g *Tensor) []*Tensor {
		var gs *Tensor
		if src.requiresGrad {
			gs = newOn(b, cloneInts(ss))
			b.Gather(gs.buf, srcStr, g.buf, dstStr, idxShape, ax, idx, ist)
		}
		return []*Tensor{g, gs}
	}, dst, src)
}

// checkIndices panics when an index is outside [0, size) and returns a copy
// of idx.
func checkIndices(op string, idx []int32, size int, shape []int, axis int) []int32 {
	for i, k := range idx {
		if k < 0 || int(k) >= size {
			panic(fmt.Sprintf("tensor.%s: index %d (at position %d) out of range for size %d (axis %d of shape %v)", op, k, i, size, axis, shape))
		}
	}
	return append([]int32(nil), idx...)
}

// checkIndexShape validates a torch.gather/scatter index shape against the
// indexed tensor's shape xs (idxShape[d] <= xs[d] except on axis ax) and,
// when os is not nil, the source operand's shape os (idxShape[d] <= os[d]
// on every axis), and returns a copy of it.
func checkIndexShape(op string, xs []int, ax int, idx []int32, idxShape []int, other string, os []int) []int {
	checkShape(op, idxShape)
	if len(idxShape) != len(xs) {
		panic(fmt.Sprintf("tensor.%s: index shape %v and tensor shape %v differ in rank", op, idxShape, xs))
	}
	if os != nil && len(os) != len(xs) {
		panic(fmt.Sprintf("tensor.%s: %s shape %v and tensor shape %v differ in rank", op, other, os, xs))
	}
	if len(idx) != Numel(idxShape) {
		panic(fmt.Sprintf("tensor.%s: %d indices for index shape %v (needs %d)", op, len(idx), idxShape, Numel(idxShape)))
	}
	for d := range idxShape {
		if d != ax && idxShape[d] > xs[d] {
			panic(fmt.Sprintf("tensor.%s: index shape %v exceeds tensor shape %v on axis %d", op, idxShape, xs, d))
		}
		if os != nil && idxShape[d] > os[d] {
			panic(fmt.Sprintf("tensor.%s: index shape %v exceeds %s shape %v on axis %d", op, idxShape, other, os, d))
		}
	}
	return cloneInts(idxShape)
}
