package tensor_test

import (
	"math"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

var opsBinaryCases = []struct{ a, b []int }{
	{[]int{3, 1, 5}, []int{4, 1}},    // both sides broadcast
	{[]int{2, 3, 4}, []int{2, 3, 4}}, // same shape
	{[]int{2, 3, 4}, []int{}},        // 0-d scalar
	{[]int{1}, []int{3, 5}},          // [1] against a matrix
	{[]int{2, 3, 4, 5}, []int{3, 1, 1}},
	{[]int{7, 1}, []int{1, 9}},
	{[]int{5, 1, 3}, []int{5, 4, 3}},
}

// opsBroadcastRef computes a op b by NumPy rules, element by element.
func opsBroadcastRef(op func(x, y float64) float64, a, b *tensor.Tensor, out []int) []float64 {
	res := make([]float64, tensor.Numel(out))
	read := func(t *tensor.Tensor, idx []int) float64 {
		s := t.Shape()
		j := make([]int, len(s))
		for d := range s {
			if s[d] != 1 {
				j[d] = idx[len(idx)-len(s)+d]
			}
		}
		return float64(t.Data()[opsRavel(j, s)])
	}
	for p := range res {
		idx := opsUnravel(p, out)
		res[p] = op(read(a, idx), read(b, idx))
	}
	return res
}

func TestBinaryBroadcastValues(t *testing.T) {
	rng := opsRNG(1)
	ops := []struct {
		name string
		f    func(a, b *tensor.Tensor) *tensor.Tensor
		ref  func(x, y float64) float64
	}{
		{"Add", tensor.Add, func(x, y float64) float64 { return x + y }},
		{"Sub", tensor.Sub, func(x, y float64) float64 { return x - y }},
		{"Mul", tensor.Mul, func(x, y float64) float64 { return x * y }},
		{"Div", tensor.Div, func(x, y float64) float64 { return x / y }},
	}
	for _, c := range opsBinaryCases {
		a := tensortest.Rand(rng, false, c.a...)
		b := opsRandAway(rng, 0.2, c.b...)
		for _, op := range ops {
			got := op.f(a, b)
			want := opsBroadcastRef(op.ref, a, b, got.Shape())
			opsClose(t, op.name, got, got.Shape(), want)
		}
	}
	if s := tensor.Add(tensor.Zeros(3, 1, 5), tensor.Zeros(4, 1)).Shape(); !tensor.SameShape(s, []int{3, 4, 5}) {
		t.Errorf("broadcast shape %v, want [3 4 5]", s)
	}
}

func TestBinaryLargeParallel(t *testing.T) {
	// Large enough to split across goroutines, with a broadcast operand.
	rng := opsRNG(2)
	a := tensortest.Rand(rng, false, 3, 64, 40, 41)
	b := tensortest.Rand(rng, false, 64, 1, 1)
	got := tensor.Mul(a, b)
	opsClose(t, "Mul", got, got.Shape(), opsBroadcastRef(func(x, y float64) float64 { return x * y }, a, b, got.Shape()))
	c := tensortest.Rand(rng, false, 3, 64, 40, 41)
	got = tensor.Sub(a, c)
	opsClose(t, "Sub", got, got.Shape(), opsBroadcastRef(func(x, y float64) float64 { return x - y }, a, c, got.Shape()))
}

func TestBinaryGrad(t *testing.T) {
	rng := opsRNG(3)
	ops := map[string]func(a, b *tensor.Tensor) *tensor.Tensor{
		"Add": tensor.Add, "Sub": tensor.Sub, "Mul": tensor.Mul, "Div": tensor.Div,
	}
	for _, c := range opsBinaryCases {
		for name, op := range ops {
			a := tensortest.Rand(rng, true, c.a...)
			b := opsRandAway(rng, 0.3, c.b...) // Div needs |b| away from 0
			opsGrad(t, name, func(in []*tensor.Tensor) *tensor.Tensor { return op(in[0], in[1]) }, a, b)
		}
	}
	// Only one side requiring gradients.
	a := tensortest.Rand(rng, true, 4, 3)
	b := opsRandAway(rng, 0.3, 3).SetRequiresGrad(false)
	opsGrad(t, "Div(a, const)", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Div(in[0], b) }, a)
	opsGrad(t, "Sub(const, a)", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Sub(b, in[0]) }, a)
}

func TestScalarOps(t *testing.T) {
	rng := opsRNG(4)
	x := tensortest.Rand(rng, true, 3, 5)
	y := tensor.AddScalar(x, 2.5)
	z := tensor.MulScalar(x, -3)
	for i, v := range x.Data() {
		if y.Data()[i] != v+2.5 || z.Data()[i] != v*-3 {
			t.Fatalf("element %d: %g+2.5=%g, %g*-3=%g", i, v, y.Data()[i], v, z.Data()[i])
		}
	}
	opsGrad(t, "AddScalar", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(in[0], 2.5) }, x)
	opsGrad(t, "MulScalar", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(in[0], -3) }, x)
}

func TestUnaryValues(t *testing.T) {
	x := tensor.FromSlice([]float32{-2, -0.5, 0, 0.5, 3}, 5)
	xp := tensor.FromSlice([]float32{0.25, 1, 4, 9, 2}, 5)
	check := func(name string, got *tensor.Tensor, in *tensor.Tensor, f func(float64) float64) {
		want := make([]float64, in.Numel())
		for i, v := range in.Data() {
			want[i] = f(float64(v))
		}
		opsClose(t, name, got, in.Shape(), want)
	}
	check("Exp", tensor.Exp(x), x, math.Exp)
	check("Neg", tensor.Neg(x), x, func(v float64) float64 { return -v })
	check("Abs", tensor.Abs(x), x, math.Abs)
	check("Tanh", tensor.Tanh(x), x, math.Tanh)
	check("Relu", tensor.Relu(x), x, func(v float64) float64 { return math.Max(v, 0) })
	check("Sigmoid", tensor.Sigmoid(x), x, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })
	check("Log", tensor.Log(xp), xp, math.Log)
	check("Sqrt", tensor.Sqrt(xp), xp, math.Sqrt)
	// Abs has gradient 0 at 0, like PyTorch.
	z := tensor.Zeros(2).SetRequiresGrad(true)
	tensor.SumAll(tensor.Abs(z)).Backward()
	if g := z.Grad.Data(); g[0] != 0 || g[1] != 0 {
		t.Errorf("Abs gradient at 0 = %v, want 0", g)
	}
}

func TestBinaryShapeErrors(t *testing.T) {
	opsPanics(t, func() { tensor.Add(tensor.Zeros(3, 4), tensor.Zeros(5)) }, "tensor.Add", "[3 4]", "[5]", "do not broadcast")
	opsPanics(t, func() { tensor.Mul(tensor.Zeros(2, 3, 4), tensor.Zeros(3, 3, 4)) }, "tensor.Mul", "[2 3 4]", "[3 3 4]")
}
