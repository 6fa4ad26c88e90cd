package tensor

import "fmt"

// Shape ops. Reshape is a view (it shares storage, like torch's view);
// Permute, Concat, Split and Slice copy through the backend's StridedCopy,
// since tensors are always contiguous.

// Reshape returns x with a new shape of the same number of elements; one
// dimension may be -1 and is then inferred. The result shares x's storage.
func Reshape(x *Tensor, shape ...int) *Tensor {
	shape = cloneInts(shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor.Reshape: bad target shape %v for input %v (at most one -1, no other negatives)", shape, x.shape))
		default:
			known *= d
		}
	}
	n := x.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v (%d elements) to %v", x.shape, n, shape))
		}
		shape[infer] = n / known
	} else if known != n {
		panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v (%d elements) to %v (%d elements)", x.shape, n, shape, known))
	}
	out := &Tensor{shape: shape, buf: x.buf}
	xs := x.shape
	return record("Reshape", out, func(g *Tensor) []*Tensor { return []*Tensor{Reshape(g, xs...)} }, x)
}

// Permute reorders the axes of x: axis i of the result is axis perm[i] of
// x. The result is a contiguous copy.
func Permute(x *Tensor, perm ...int) *Tensor {
	nd := len(x.shape)
	if len(perm) != nd {
		panic(fmt.Sprintf("tensor.Permute: permutation %v for shape %v (needs %d axes)", perm, x.shape, nd))
	}
	seen := make([]bool, nd)
	for _, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("tensor.Permute: %v is not a permutation of the %d axes of shape %v", perm, nd, x.shape))
		}
		seen[p] = true
	}
	xst := contiguousStrides(x.shape)
	shape := make([]int, nd)
	src := make([]int, nd)
	inv := make([]int, nd)
	for i, p := range perm {
		shape[i] = x.shape[p]
		src[i] = xst[p]
		inv[p] = i
	}
	b := x.Backend()
	out := newOn(b, shape)
	b.StridedCopy(out.buf, 0, contiguousStrides(shape), x.buf, 0, src, shape)
	return record("Permute", out, func(g *Tensor) []*Tensor { return []*Tensor{Permute(g, inv...)} }, x)
}

// Concat joins tensors along axis; all must have the same rank and equal
// sizes on the other axes.
func Concat(axis int, xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("tensor.Concat: no tensors")
	}
	ax := xs[0].axis("Concat", axis)
	shape := cloneInts(xs[0].shape)
	shape[ax] = 0
	for i, x := range xs {
		if x == nil {
			panic(fmt.Sprintf("tensor.Concat: tensor %d is nil", i))
		}
		ok := len(x.shape) == len(shape)
		for d := 0; ok && d < len(shape); d++ {
			ok = d == ax || x.shape[d] == shape[d]
		}
		if !ok {
			panic(fmt.Sprintf("tensor.Concat: along axis %d, tensor %d has shape %v, tensor 0 has %v", axis, i, x.shape, xs[0].shape))
		}
		shape[ax] += x.shape[ax]
	}
	b := sameBackend("Concat", xs...)
	out := newOn(b, shape)
	outer, total, inner := axisView(shape, ax)
	starts := make([]int, len(xs))
	off := 0
	for i, x := range xs {
		starts[i] = off
		d := x.shape[ax]
		b.StridedCopy(out.buf, off*inner, []int{total * inner, 1}, x.buf, 0, []int{d * inner, 1}, []int{outer, d * inner})
		off += d
	}
	inputs := append([]*Tensor(nil), xs...)
	return record("Concat", out, func(g *Tensor) []*Tensor {
		gs := make([]*Tensor, len(inputs))
		for i, x := range inputs {
			if x.requiresGrad {
				gs[i] = sliceCopy(g, ax, starts[i], starts[i]+x.shape[ax])
			}
		}
		return gs
	}, inputs...)
}

// Split cuts x along axis into consecutive pieces of the given sizes, which
// must sum to the axis size.
func Split(x *Tensor, axis int, sizes ...int) []*Tensor {
	ax := x.axis("Split", axis)
	total := 0
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("tensor.Split: negative size in %v for shape %v", sizes, x.shape))
		}
		total += s
	}
	if total != x.shape[ax] {
		panic(fmt.Sprintf("tensor.Split: sizes %v sum to %d, axis %d of shape %v has %d", sizes, total, axis, x.shape, x.shape[ax]))
	}
	outs := make([]*Tensor, len(sizes))
	off := 0
	for i, s := range sizes {
		outs[i] = Slice(x, ax, off, off+s)
		off += s
	}
	return outs
}

// Slice returns the elements start <= i < end of x along axis (a copy).
// Bounds must satisfy 0 <= start <= end <= size.
func Slice(x *Tensor, axis, start, end int) *Tensor {
	ax := x.axis("Slice", axis)
	if start < 0 || start > end || end > x.shape[ax] {
		panic(fmt.Sprintf("tensor.Slice: range [%d, %d) out of bounds for axis %d of shape %v", start, end, axis, x.shape))
	}
	out := sliceCopy(x, ax, start, end)
	xs := x.shape
	return record("Slice", out, func(g *Tensor) []*Tensor {
		b := g.Backend()
		dx := newOn(b, cloneInts(xs))
		outer, total, inner := axisView(xs, ax)
		d := end - start
		b.StridedCopy(dx.buf, start*inner, []int{total * inner, 1}, g.buf, 0, []int{d * inner, 1}, []int{outer, d * inner})
		return []*Tensor{dx}
	}, x)
}

// sliceCopy copies [start, end) of normalized axis ax without recording.
func sliceCopy(x *Tensor, ax, start, end int) *Tensor {
	shape := cloneInts(x.shape)
	shape[ax] = end - start
	b := x.Backend()
	out := newOn(b, shape)
	outer, total, inner := axisView(x.shape, ax)
	d := end - start
	b.StridedCopy(out.buf, 0, []int{d * inner, 1}, x.buf, start*inner, []int{total * inner, 1}, []int{outer, d * inner})
	return out
}

// axisView splits shape around axis ax into [outer, shape[ax], inner].
func axisView(shape []int, ax int) (outer, n, inner int) {
	return Numel(shape[:ax]), shape[ax], Numel(shape[ax+1:])
}

// contiguousStrides returns the row-major element strides of shape.
func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}
