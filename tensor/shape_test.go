package tensor_test

import (
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestReshape(t *testing.T) {
	rng := opsRNG(20)
	x := tensortest.Rand(rng, true, 2, 3, 4)
	y := tensor.Reshape(x, -1, 4)
	if !tensor.SameShape(y.Shape(), []int{6, 4}) {
		t.Fatalf("Reshape(-1, 4) shape %v", y.Shape())
	}
	for i, v := range x.Data() {
		if y.Data()[i] != v {
			t.Fatal("Reshape changed values")
		}
	}
	if s := tensor.Reshape(tensor.Zeros(1)).Shape(); len(s) != 0 {
		t.Errorf("Reshape to 0-d: %v", s)
	}
	opsGrad(t, "Reshape", func(in []*tensor.Tensor) *tensor.Tensor {
		return tensor.Mul(tensor.Reshape(in[0], 4, -1), tensor.Reshape(in[0], 4, 6))
	}, x)
	opsPanics(t, func() { tensor.Reshape(x, 5, -1) }, "tensor.Reshape", "[2 3 4]", "[5 -1]")
	opsPanics(t, func() { tensor.Reshape(x, 4, 5) }, "tensor.Reshape", "[2 3 4]", "[4 5]")
	opsPanics(t, func() { tensor.Reshape(x, -1, -1) }, "tensor.Reshape", "at most one -1")
}

func TestPermute(t *testing.T) {
	rng := opsRNG(21)
	for _, perm := range [][]int{{0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 2, 3}, {2, 0, 3, 1}} {
		x := tensortest.Rand(rng, true, 2, 3, 4, 5)
		y := tensor.Permute(x, perm...)
		xs := x.Shape()
		for p, v := range y.Data() {
			oi := opsUnravel(p, y.Shape())
			xi := make([]int, 4)
			for i, a := range perm {
				xi[a] = oi[i]
			}
			if x.Data()[opsRavel(xi, xs)] != v {
				t.Fatalf("Permute %v: element %v wrong", perm, oi)
			}
		}
		opsGrad(t, "Permute", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Permute(in[0], perm...) }, x)
	}
	// A large permute (NCHW -> NHWC) crossing the parallel grain.
	x := tensortest.Rand(rng, false, 2, 16, 33, 35)
	y := tensor.Permute(tensor.Permute(x, 0, 2, 3, 1), 0, 3, 1, 2)
	for i, v := range x.Data() {
		if y.Data()[i] != v {
			t.Fatal("Permute round trip changed values")
		}
	}
	opsPanics(t, func() { tensor.Permute(x, 0, 1, 1, 2) }, "tensor.Permute", "not a permutation", "[2 16 33 35]")
	opsPanics(t, func() { tensor.Permute(x, 0, 1) }, "tensor.Permute", "[0 1]", "[2 16 33 35]")
}

func TestConcatSplitSlice(t *testing.T) {
	rng := opsRNG(22)
	a := tensortest.Rand(rng, true, 2, 3, 4)
	b := tensortest.Rand(rng, true, 2, 1, 4)
	c := tensortest.Rand(rng, true, 2, 5, 4)
	y := tensor.Concat(1, a, b, c)
	if !tensor.SameShape(y.Shape(), []int{2, 9, 4}) {
		t.Fatalf("Concat shape %v", y.Shape())
	}
	parts := tensor.Split(y, -2, 3, 1, 5)
	for i, want := range []*tensor.Tensor{a, b, c} {
		if !tensor.SameShape(parts[i].Shape(), want.Shape()) {
			t.Fatalf("Split part %d shape %v", i, parts[i].Shape())
		}
		for j, v := range want.Data() {
			if parts[i].Data()[j] != v {
				t.Fatalf("Split(Concat) part %d differs", i)
			}
		}
	}
	s := tensor.Slice(y, 1, 2, 5) // last row of a, b, first row of c
	for p, v := range s.Data() {
		idx := opsUnravel(p, s.Shape())
		idx[1] += 2
		if y.Data()[opsRavel(idx, y.Shape())] != v {
			t.Fatal("Slice values differ")
		}
	}
	opsGrad(t, "Concat", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Concat(1, in[0], in[1], in[2]) }, a, b, c)
	opsGrad(t, "Concat axis0", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Concat(0, in[0], in[0]) }, a)
	opsGrad(t, "Concat last", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Concat(-1, in[0], in[1]) },
		tensortest.Rand(rng, true, 3, 2), tensortest.Rand(rng, true, 3, 5))
	opsGrad(t, "Slice", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Slice(in[0], 2, 1, 3) }, a)
	opsGrad(t, "Split", func(in []*tensor.Tensor) *tensor.Tensor {
		p := tensor.Split(in[0], 1, 2, 0, 3) // an empty piece too
		return tensor.Add(tensor.MulScalar(p[0], 2), tensor.Sum(p[2], []int{1}, true))
	}, c)
	// A constant mixed in gets no gradient, the others do.
	k := tensortest.Rand(rng, false, 2, 3, 4)
	tensor.SumAll(tensor.Concat(0, k, a)).Backward()
	if k.Grad != nil || a.Grad == nil {
		t.Error("Concat gradient routing wrong")
	}

	opsPanics(t, func() { tensor.Concat(1, a, tensor.Zeros(3, 1, 4)) }, "tensor.Concat", "[3 1 4]", "[2 3 4]")
	opsPanics(t, func() { tensor.Concat(0) }, "tensor.Concat", "no tensors")
	opsPanics(t, func() { tensor.Split(a, 1, 2, 2) }, "tensor.Split", "[2 2]", "[2 3 4]")
	opsPanics(t, func() { tensor.Slice(a, 1, 2, 4) }, "tensor.Slice", "[2, 4)", "[2 3 4]")
	opsPanics(t, func() { tensor.Slice(a, 3, 0, 1) }, "tensor.Slice", "axis 3 out of range")
}
