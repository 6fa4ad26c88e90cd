package tensor_test

import (
	"math"
	"runtime"
	"testing"
	"weak"

	"github.com/gcdet/gcdet/tensor"
)

// The tape adopts gradients it alone holds instead of copying them
// (autograd.go). These tests check it never shares storage where it must
// not: between leaves, with the seed, or with a gradient still pending.

// first is the address of a tensor's first value (its storage identity).
func first(t *tensor.Tensor) *float32 { return &t.Data()[0] }

func TestGradNeverAliasesSeedOrOtherLeaves(t *testing.T) {
	x1 := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	x2 := tensor.FromSlice([]float32{4, 5, 6}, 3).SetRequiresGrad(true)
	seed := tensor.FromSlice([]float32{1, 1, 1}, 3)

	// Add hands the seed itself to both leaves.
	tensor.Add(x1, x2).BackwardWith(seed)
	if first(x1.Grad) == first(seed) || first(x2.Grad) == first(seed) || first(x1.Grad) == first(x2.Grad) {
		t.Fatal("leaf gradients share storage with the seed or each other")
	}
	// Writing a Grad (as optimizers do) changes nothing else.
	x1.Grad.Data()[0] = 100
	if seed.Data()[0] != 1 || x2.Grad.Data()[0] != 1 {
		t.Fatal("writing x1.Grad changed the seed or x2.Grad")
	}

	// A fresh gradient (from Relu's backward) sent to two leaves, and
	// through a Reshape view to a third.
	x1.ZeroGrad()
	x2.ZeroGrad()
	x3 := tensor.FromSlice([]float32{1, 1, 1}, 1, 3).SetRequiresGrad(true)
	s := tensor.Add(tensor.Add(x1, x2), tensor.Reshape(x3, 3))
	tensor.Relu(s).BackwardWith(seed)
	ptrs := map[*float32]bool{first(x1.Grad): true, first(x2.Grad): true, first(x3.Grad): true, first(seed): true}
	if len(ptrs) != 4 {
		t.Fatal("leaf gradients share storage")
	}
	opsClose(t, "x3.Grad", x3.Grad, []int{1, 3}, []float64{1, 1, 1})
}

func TestGradPendingAndLeafShareAGradient(t *testing.T) {
	// y = x + exp(x): Add sends one gradient to the leaf x and to the Exp
	// node; Exp's gradient is then added into x.Grad, which must not
	// change the gradient Exp is still to read.
	x := tensor.FromSlice([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true)
	w := tensor.FromSlice([]float32{2, 3, 4}, 3)
	y := tensor.Mul(tensor.Add(x, tensor.Exp(x)), w) // dy/dx = w (1 + e^x)
	tensor.SumAll(y).Backward()
	want := make([]float64, 3)
	for i, v := range []float64{0.5, -1, 2} {
		want[i] = float64(w.Data()[i]) * (1 + math.Exp(v))
	}
	opsClose(t, "x.Grad", x.Grad, []int{3}, want)

	// The same with the leaf reached twice through pass-through ops.
	x = tensor.FromSlice([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true)
	y = tensor.Mul(tensor.Add(tensor.AddScalar(x, 1), tensor.AddScalar(tensor.Exp(x), 2)), w)
	tensor.SumAll(y).Backward()
	opsClose(t, "x.Grad through AddScalar", x.Grad, []int{3}, want)
}

func TestGradAccumulatesIntoAdoptedGrad(t *testing.T) {
	// The first Backward adopts Relu's fresh gradient as x.Grad; the second
	// adds into it in place; the first result must not alias anything the
	// second pass wrote elsewhere.
	x := tensor.FromSlice([]float32{1, -2, 3}, 3).SetRequiresGrad(true)
	tensor.SumAll(tensor.Relu(x)).Backward()
	g1 := first(x.Grad)
	tensor.SumAll(tensor.MulScalar(tensor.Relu(x), 2)).Backward()
	if first(x.Grad) != g1 {
		t.Error("second Backward replaced x.Grad instead of adding into it")
	}
	opsClose(t, "x.Grad", x.Grad, []int{3}, []float64{3, 0, 3})
}

func TestTapeDropsUnneededIntermediates(t *testing.T) {
	// relu(bn-like affine(x)) keeps relu's output for its gradient, not its
	// input: after the forward pass the input is collectable.
	x := tensor.FromSlice(make([]float32, 1<<12), 1, 1<<12).SetRequiresGrad(true)
	h := tensor.Add(x, tensor.Ones(1, 1<<12))
	ref := weak.Make(h)
	y := tensor.Relu(h)
	h = nil
	runtime.GC()
	runtime.GC()
	if ref.Value() != nil {
		t.Error("relu's input is still reachable from the tape")
	}
	tensor.SumAll(y).Backward()
	opsClose(t, "x.Grad[0]", tensor.Slice(x.Grad, 1, 0, 1), []int{1, 1}, []float64{1})
}
