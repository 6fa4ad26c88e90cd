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

func TestRecycledBuffersNeverReachCallers(t *testing.T) {
	// The tape recycles gradient buffers it proves dead within a Backward
	// (cpu_pool.go). Run the same mixed graph several times on fresh
	// leaves: every run must give the same gradients, the seed and the
	// outputs must keep their values through Backward, and the Grads of
	// earlier runs must stay intact.
	rng := opsRNG(11)
	xv := make([]float32, 2*8*16*16)
	for i := range xv {
		xv[i] = float32(rng.NormFloat64())
	}
	wv := make([]float32, 8*8*3*3)
	for i := range wv {
		wv[i] = float32(rng.NormFloat64() * 0.2)
	}
	type run struct {
		grads, outs []*tensor.Tensor
		vals        [][]float32
	}
	snapshot := func(ts []*tensor.Tensor) [][]float32 {
		var v [][]float32
		for _, t := range ts {
			v = append(v, append([]float32(nil), t.Data()...))
		}
		return v
	}
	var runs []run
	for r := 0; r < 4; r++ {
		x := tensor.FromSlice(xv, 2, 8, 16, 16).SetRequiresGrad(true)
		w := tensor.FromSlice(wv, 8, 8, 3, 3).SetRequiresGrad(true)
		g, b := tensor.Ones(8).SetRequiresGrad(true), tensor.Zeros(8).SetRequiresGrad(true)
		s := tensor.FromSlice([]float32{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4}, 8, 1, 1).SetRequiresGrad(true)
		h := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: [2]int{1, 1}})
		h = tensor.Relu(tensor.BatchNorm2d(h, g, b, nil, nil, true, 0.1, 1e-5))
		h = tensor.Add(h, x)                                  // fan-out of one gradient to h and x
		h = tensor.Reshape(tensor.AddScalar(h, 1), 2, 8, 256) // pass-through views
		h = tensor.Mul(tensor.Reshape(h, 2, 8, 16, 16), s)    // broadcast
		y := tensor.Relu(tensor.Sub(h, tensor.Exp(tensor.MulScalar(x, 0.1))))
		seed := tensor.Full(0.01, y.Shape()...)
		before := snapshot([]*tensor.Tensor{y, seed})
		y.BackwardWith(seed)
		// The seed reaching a leaf that already has a Grad (then read again
		// by Exp's backward, whose output recycling must not overwrite it),
		// and a pending gradient the tape owns (from Exp) before the seed
		// arrives through AddScalar.
		tensor.Add(x, tensor.Exp(tensor.MulScalar(x, 0.01))).BackwardWith(seed)
		hh := tensor.MulScalar(x, 0.5)
		tensor.Add(tensor.AddScalar(hh, 1), tensor.Exp(hh)).BackwardWith(seed)
		cur := run{grads: []*tensor.Tensor{x.Grad, w.Grad, g.Grad, b.Grad, s.Grad}, outs: []*tensor.Tensor{y, seed}}
		cur.vals = append(snapshot(cur.grads), before...)
		runs = append(runs, cur)
		for k, old := range runs {
			now := snapshot(append(append([]*tensor.Tensor(nil), old.grads...), old.outs...))
			for i := range now {
				for j := range now[i] {
					if now[i][j] != old.vals[i][j] || now[i][j] != runs[0].vals[i][j] {
						t.Fatalf("after run %d: tensor %d of run %d changed or differs at %d", r, i, k, j)
					}
				}
			}
		}
	}
}
