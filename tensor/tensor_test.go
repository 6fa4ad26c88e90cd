package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestUnaryGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, op := range map[string]func(*tensor.Tensor) *tensor.Tensor{
		"relu": tensor.Relu, "sigmoid": tensor.Sigmoid, "exp": tensor.Exp, "neg": tensor.Neg,
		"abs": tensor.Abs, "tanh": tensor.Tanh,
	} {
		x := opsRandAway(rng, 0.05, 3, 5, 7)
		if err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor { return op(in[0]) },
			[]*tensor.Tensor{x}, 1e-3, 1e-3, 1e-2); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, op := range map[string]func(*tensor.Tensor) *tensor.Tensor{"log": tensor.Log, "sqrt": tensor.Sqrt} {
		x := tensor.AddScalar(tensor.Abs(tensortest.Rand(rng, false, 4, 9)), 0.5).SetRequiresGrad(true)
		if err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor { return op(in[0]) },
			[]*tensor.Tensor{x}, 1e-3, 1e-3, 1e-2); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Autograd behaviour of the tape (autograd.go) through real ops.

func TestGradAccumulatesAcrossBackward(t *testing.T) {
	x := tensor.FromSlice([]float32{1, -2, 3}, 3).SetRequiresGrad(true)
	tensor.SumAll(tensor.Mul(x, x)).Backward()       // 2x
	tensor.SumAll(tensor.MulScalar(x, 3)).Backward() // + 3
	want := []float64{5, -1, 9}
	opsClose(t, "x.Grad", x.Grad, []int{3}, want)
	x.ZeroGrad()
	tensor.SumAll(x).Backward()
	opsClose(t, "x.Grad after ZeroGrad", x.Grad, []int{3}, []float64{1, 1, 1})
}

func TestGradDiamond(t *testing.T) {
	// A leaf used twice: d/dx sum(2x + x*x) = 2 + 2x.
	x := tensor.FromSlice([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true)
	tensor.SumAll(tensor.Add(tensor.MulScalar(x, 2), tensor.Mul(x, x))).Backward()
	opsClose(t, "leaf diamond", x.Grad, []int{3}, []float64{3, 0, 6})

	// An intermediate used three times: z = sum(h*h + h), h = tanh(x):
	// dz/dx = (2h + 1)(1 - h²).
	x = tensor.FromSlice([]float32{0.3, -0.7, 1.1}, 3).SetRequiresGrad(true)
	h := tensor.Tanh(x)
	tensor.SumAll(tensor.Add(tensor.Mul(h, h), h)).Backward()
	want := make([]float64, 3)
	for i, v := range x.Data() {
		hv := math.Tanh(float64(v))
		want[i] = (2*hv + 1) * (1 - hv*hv)
	}
	opsClose(t, "intermediate diamond", x.Grad, []int{3}, want)

	// Both operands of one op are the same intermediate.
	x = tensor.FromSlice([]float32{1, 2}, 2).SetRequiresGrad(true)
	y := tensor.MulScalar(x, 3)
	tensor.SumAll(tensor.Mul(y, y)).Backward() // sum(9x²) -> 18x
	opsClose(t, "same input twice", x.Grad, []int{2}, []float64{18, 36})
}

func TestNoGradRecordsNothing(t *testing.T) {
	x := tensor.Ones(2, 3).SetRequiresGrad(true)
	var y *tensor.Tensor
	tensor.NoGrad(func() {
		y = tensor.SumAll(tensor.Mul(tensor.Exp(x), x))
		if tensor.GradEnabled() {
			t.Error("GradEnabled inside NoGrad")
		}
	})
	if y.RequiresGrad() || !y.IsLeaf() {
		t.Errorf("op under NoGrad: RequiresGrad %v, IsLeaf %v", y.RequiresGrad(), y.IsLeaf())
	}
	if !tensor.GradEnabled() {
		t.Error("grad mode not restored after NoGrad")
	}
	// Inputs that do not require gradients record nothing either.
	z := tensor.Add(tensor.Ones(2), tensor.Ones(2))
	if z.RequiresGrad() || !z.IsLeaf() {
		t.Error("op on constants recorded a node")
	}
}

func TestTapeReleasedAfterBackward(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	y := tensor.SumAll(tensor.Exp(tensor.Mul(x, x)))
	y.Backward()
	opsPanics(t, func() { y.Backward() }, "already released by an earlier Backward")
	// A fresh forward pass works again and accumulates.
	g := append([]float32(nil), x.Grad.Data()...)
	tensor.SumAll(tensor.Exp(tensor.Mul(x, x))).Backward()
	for i, v := range x.Grad.Data() {
		if math.Abs(float64(v-2*g[i])) > 1e-3*math.Abs(float64(v)) {
			t.Fatalf("second graph: grad %v, want twice %v", x.Grad.Data(), g)
		}
	}
}
