package tensor_test

import (
	"math"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// opsSumRef sums x over axes (all when empty) into the keepDim shape.
func opsSumRef(x *tensor.Tensor, axes []int) ([]int, []float64) {
	s := x.Shape()
	keep := append([]int(nil), s...)
	if len(axes) == 0 {
		for i := range keep {
			keep[i] = 1
		}
	}
	for _, a := range axes {
		if a < 0 {
			a += len(s)
		}
		keep[a] = 1
	}
	out := make([]float64, tensor.Numel(keep))
	for p, v := range x.Data() {
		idx := opsUnravel(p, s)
		for d := range idx {
			if keep[d] == 1 {
				idx[d] = 0
			}
		}
		out[opsRavel(idx, keep)] += float64(v)
	}
	return keep, out
}

var opsReduceCases = []struct {
	shape []int
	axes  []int
}{
	{[]int{3, 4, 5}, []int{1}},
	{[]int{3, 4, 5}, []int{0, 2}},   // two separate runs
	{[]int{3, 4, 5}, []int{-1, -2}}, // one run, negative axes
	{[]int{2, 3, 4, 5}, []int{0, 1, 3}},
	{[]int{3, 4, 5}, nil},      // everything
	{[]int{5, 1, 3}, []int{1}}, // size-1 axis
	{[]int{7}, []int{0}},
}

func TestSumMeanValues(t *testing.T) {
	rng := opsRNG(10)
	for _, c := range opsReduceCases {
		x := tensortest.Rand(rng, false, c.shape...)
		keep, want := opsSumRef(x, c.axes)
		opsClose(t, "Sum keepDim", tensor.Sum(x, c.axes, true), keep, want)
		var drop []int
		red := map[int]bool{}
		for _, a := range c.axes {
			if a < 0 {
				a += len(c.shape)
			}
			red[a] = true
		}
		for d, n := range c.shape {
			if len(c.axes) > 0 && !red[d] {
				drop = append(drop, n)
			}
		}
		if drop == nil {
			drop = []int{}
		}
		opsClose(t, "Sum", tensor.Sum(x, c.axes, false), drop, want)
		cnt := float64(x.Numel()) / float64(len(want))
		mean := make([]float64, len(want))
		for i, v := range want {
			mean[i] = v / cnt
		}
		opsClose(t, "Mean", tensor.Mean(x, c.axes, false), drop, mean)
	}
	x := tensortest.Rand(rng, false, 4, 6)
	_, all := opsSumRef(x, nil)
	opsClose(t, "SumAll", tensor.SumAll(x), []int{}, all)
	opsClose(t, "MeanAll", tensor.MeanAll(x), []int{}, []float64{all[0] / 24})
}

func TestSumLargeParallel(t *testing.T) {
	rng := opsRNG(11)
	for _, c := range []struct {
		shape []int
		axes  []int
	}{
		{[]int{300, 257}, []int{1}},   // many rows
		{[]int{2, 70001}, []int{1}},   // few long rows (split within a row)
		{[]int{513, 129}, []int{0}},   // outer 1, long inner
		{[]int{4, 33, 301}, []int{1}}, // [outer, n, inner]
		{[]int{100003}, nil},          // one long row
		{[]int{3, 0, 4}, []int{1}},    // empty reduction -> zeros
	} {
		x := tensortest.Rand(rng, false, c.shape...)
		keep, want := opsSumRef(x, c.axes)
		got := tensor.Sum(x, c.axes, true)
		if !tensor.SameShape(got.Shape(), keep) {
			t.Fatalf("Sum%v over %v: shape %v, want %v", c.shape, c.axes, got.Shape(), keep)
		}
		for i, v := range got.Data() {
			if math.Abs(float64(v)-want[i]) > 1e-4*(1+math.Abs(want[i])) {
				t.Fatalf("Sum%v over %v [%d] = %g, want %g", c.shape, c.axes, i, v, want[i])
			}
		}
	}
	if v := tensor.MeanAll(tensor.Zeros(0, 3)).Item(); !math.IsNaN(float64(v)) {
		t.Errorf("MeanAll of empty = %g, want NaN (as PyTorch)", v)
	}
}

func TestSumMeanGrad(t *testing.T) {
	rng := opsRNG(12)
	for _, c := range opsReduceCases {
		for _, keepDim := range []bool{false, true} {
			x := tensortest.Rand(rng, true, c.shape...)
			opsGrad(t, "Sum", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Sum(in[0], c.axes, keepDim) }, x)
			opsGrad(t, "Mean", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Mean(in[0], c.axes, keepDim) }, x)
		}
	}
	x := tensortest.Rand(rng, true, 3, 5)
	opsGrad(t, "SumAll", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.SumAll(in[0]) }, x)
	opsGrad(t, "MeanAll", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MeanAll(in[0]) }, x)
}

func TestReduceShapeErrors(t *testing.T) {
	x := tensor.Zeros(2, 3)
	opsPanics(t, func() { tensor.Sum(x, []int{2}, false) }, "tensor.Sum", "axis 2 out of range", "[2 3]")
	opsPanics(t, func() { tensor.Mean(x, []int{1, -1}, false) }, "tensor.Mean", "repeated", "[2 3]")
}
