package tensor_test

import (
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// opsGatherRef is torch.gather by definition.
func opsGatherRef(x *tensor.Tensor, axis int, idx []int32, idxShape []int) []float64 {
	out := make([]float64, len(idx))
	for p := range out {
		i := opsUnravel(p, idxShape)
		i[axis] = int(idx[p])
		out[p] = float64(x.Data()[opsRavel(i, x.Shape())])
	}
	return out
}

// opsScatterRef is torch.scatter_add by definition.
func opsScatterRef(dst *tensor.Tensor, axis int, idx []int32, idxShape []int, src *tensor.Tensor) []float64 {
	out := dst.Float64s()
	for p := range idx {
		i := opsUnravel(p, idxShape)
		v := src.Data()[opsRavel(i, src.Shape())]
		i[axis] = int(idx[p])
		out[opsRavel(i, dst.Shape())] += float64(v)
	}
	return out
}

func opsRandIdx(n, size int, seed uint64) []int32 {
	rng := opsRNG(seed)
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(rng.IntN(size))
	}
	return idx
}

func TestIndexSelect(t *testing.T) {
	rng := opsRNG(30)
	for _, c := range []struct {
		shape []int
		axis  int
		n     int
	}{
		{[]int{5, 3}, 0, 7},
		{[]int{2, 6, 3}, 1, 4},
		{[]int{3, 4, 5}, -1, 9},
		{[]int{40, 3000}, 0, 64}, // RoI-like rows, parallel over the inner axis
		{[]int{500, 70}, 1, 3},   // many outer positions
		{[]int{4, 1, 5}, 1, 0},   // no indices
	} {
		x := tensortest.Rand(rng, true, c.shape...)
		ax := c.axis
		if ax < 0 {
			ax += len(c.shape)
		}
		idx := opsRandIdx(c.n, c.shape[ax], uint64(c.n))
		y := tensor.IndexSelect(x, c.axis, idx)
		// IndexSelect is Gather with the index broadcast over the other axes.
		shape := append([]int(nil), c.shape...)
		shape[ax] = c.n
		full := make([]int32, tensor.Numel(shape))
		for p := range full {
			full[p] = idx[opsUnravel(p, shape)[ax]]
		}
		opsClose(t, "IndexSelect", y, shape, opsGatherRef(x, ax, full, shape))
		if x.Numel() < 1000 {
			opsGrad(t, "IndexSelect", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.IndexSelect(in[0], c.axis, idx) }, x)
		}
	}
	// Repeated indices accumulate in the backward pass.
	x := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	tensor.SumAll(tensor.IndexSelect(x, 0, []int32{2, 0, 2, 2})).Backward()
	opsClose(t, "IndexSelect grad", x.Grad, []int{3}, []float64{1, 0, 3})
	// The op keeps its own copy of the indices.
	idx := []int32{1, 1}
	y := tensor.IndexSelect(x, 0, idx)
	idx[0] = 0
	tensor.SumAll(y).Backward()
	opsClose(t, "IndexSelect grad after caller reuses idx", x.Grad, []int{3}, []float64{1, 2, 3})

	opsPanics(t, func() { tensor.IndexSelect(tensor.Zeros(4, 3), 1, []int32{0, 3}) }, "tensor.IndexSelect", "index 3", "size 3")
	opsPanics(t, func() { tensor.IndexSelect(tensor.Zeros(4, 3), 0, []int32{-1}) }, "tensor.IndexSelect", "index -1", "size 4")
}

func TestGather(t *testing.T) {
	rng := opsRNG(31)
	for _, c := range []struct {
		shape, idxShape []int
		axis            int
	}{
		{[]int{4, 6}, []int{4, 1}, 1}, // picking one class per row (cross entropy)
		{[]int{4, 6}, []int{3, 9}, 1}, // smaller elsewhere, longer on the axis
		{[]int{5, 3, 4}, []int{7, 2, 4}, 0},
		{[]int{3, 5, 4}, []int{2, 4, 3}, -2},
		{[]int{64, 3, 300}, []int{64, 2, 300}, 1}, // large, parallel
	} {
		ax := c.axis
		if ax < 0 {
			ax += len(c.shape)
		}
		x := tensortest.Rand(rng, true, c.shape...)
		idx := opsRandIdx(tensor.Numel(c.idxShape), c.shape[ax], 5) // repeats likely
		y := tensor.Gather(x, c.axis, idx, c.idxShape)
		opsClose(t, "Gather", y, c.idxShape, opsGatherRef(x, ax, idx, c.idxShape))
		if x.Numel() < 1000 {
			opsGrad(t, "Gather", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Gather(in[0], c.axis, idx, c.idxShape) }, x)
		}
	}
	x := tensor.Zeros(3, 4)
	opsPanics(t, func() { tensor.Gather(x, 1, []int32{0, 4, 1}, []int{3, 1}) }, "tensor.Gather", "index 4", "size 4")
	opsPanics(t, func() { tensor.Gather(x, 1, []int32{0, 1}, []int{3, 1}) }, "tensor.Gather", "2 indices", "[3 1]")
	opsPanics(t, func() { tensor.Gather(x, 1, []int32{0, 1, 2, 3}, []int{4, 1}) }, "tensor.Gather", "[4 1]", "[3 4]")
	opsPanics(t, func() { tensor.Gather(x, 1, []int32{0}, []int{1}) }, "tensor.Gather", "rank")
}

func TestScatterAdd(t *testing.T) {
	rng := opsRNG(32)
	for _, c := range []struct {
		dst, src, idxShape []int
		axis               int
	}{
		{[]int{5, 3}, []int{7, 3}, []int{7, 3}, 0},
		{[]int{5, 3}, []int{8, 4}, []int{6, 2}, 0}, // src larger than the index
		{[]int{2, 4, 3}, []int{2, 6, 3}, []int{2, 6, 3}, 1},
		{[]int{3, 4, 5}, []int{3, 4, 9}, []int{2, 3, 9}, -1},
		{[]int{50, 400}, []int{80, 400}, []int{80, 400}, 0}, // large, repeats
	} {
		ax := c.axis
		if ax < 0 {
			ax += len(c.dst)
		}
		dst := tensortest.Rand(rng, true, c.dst...)
		src := tensortest.Rand(rng, true, c.src...)
		idx := opsRandIdx(tensor.Numel(c.idxShape), c.dst[ax], 6)
		y := tensor.ScatterAdd(dst, c.axis, idx, c.idxShape, src)
		opsClose(t, "ScatterAdd", y, c.dst, opsScatterRef(dst, ax, idx, c.idxShape, src))
		if dst.Numel()+src.Numel() < 1000 {
			opsGrad(t, "ScatterAdd", func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.ScatterAdd(in[0], c.axis, idx, c.idxShape, in[1])
			}, dst, src)
		}
	}
	// Out of place: dst is unchanged.
	dst := tensor.Zeros(3)
	tensor.ScatterAdd(dst, 0, []int32{1, 1}, []int{2}, tensor.Ones(2))
	if dst.Data()[1] != 0 {
		t.Error("ScatterAdd modified dst")
	}
	opsPanics(t, func() { tensor.ScatterAdd(dst, 0, []int32{1, 3}, []int{2}, tensor.Ones(2)) }, "tensor.ScatterAdd", "index 3", "size 3")
	opsPanics(t, func() { tensor.ScatterAdd(dst, 0, []int32{1, 2}, []int{2}, tensor.Ones(1)) }, "tensor.ScatterAdd", "src shape [1]")
	opsPanics(t, func() { tensor.ScatterAdd(tensor.Zeros(2, 3), 0, []int32{1, 1, 1, 1}, []int{1, 4}, tensor.Ones(1, 4)) }, "tensor.ScatterAdd", "[1 4]", "[2 3]")
}
