package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/cpu"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// positive returns a [c] tensor of values in [lo, lo+1).
func positive(rng *rand.Rand, lo float64, c int) *tensor.Tensor {
	d := make([]float64, c)
	for i := range d {
		d[i] = lo + rng.Float64()
	}
	return tensor.FromFloat64(d, c)
}

func TestBatchNorm2dTrainGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shape := range [][]int{{3, 5, 3, 5}, {2, 3, 1, 1}, {7, 4}} {
		c := shape[1]
		x := tensortest.Rand(rng, true, shape...)
		w := tensortest.Rand(rng, true, c)
		b := tensortest.Rand(rng, true, c)
		rm, rv := tensor.Zeros(c), tensor.Ones(c)
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.BatchNorm2d(in[0], in[1], in[2], rm, rv, true, 0.1, 1e-5)
		}
		if err := tensortest.GradCheck(f, []*tensor.Tensor{x, w, b}, 1e-2, 2e-3, 2e-2); err != nil {
			t.Errorf("shape %v: %v", shape, err)
		}
	}
	// Non-affine, no running statistics.
	x := tensortest.Rand(rng, true, 2, 3, 3, 3)
	f := func(in []*tensor.Tensor) *tensor.Tensor {
		return tensor.BatchNorm2d(in[0], nil, nil, nil, nil, true, 0.1, 1e-5)
	}
	if err := tensortest.GradCheck(f, []*tensor.Tensor{x}, 1e-2, 2e-3, 2e-2); err != nil {
		t.Errorf("non-affine: %v", err)
	}
}

func TestBatchNorm2dEvalGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensortest.Rand(rng, true, 3, 5, 3, 5)
	w := tensortest.Rand(rng, true, 5)
	b := tensortest.Rand(rng, true, 5)
	rm, rv := tensortest.Rand(rng, false, 5), positive(rng, 0.5, 5)
	f := func(in []*tensor.Tensor) *tensor.Tensor {
		return tensor.BatchNorm2d(in[0], in[1], in[2], rm, rv, false, 0.1, 1e-5)
	}
	if err := tensortest.GradCheck(f, []*tensor.Tensor{x, w, b}, 1e-2, 1e-3, 1e-2); err != nil {
		t.Error(err)
	}
}

func TestFrozenBatchNorm2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensortest.Rand(rng, true, 3, 5, 3, 5)
	w, b := tensortest.Rand(rng, false, 5), tensortest.Rand(rng, false, 5)
	rm, rv := tensortest.Rand(rng, false, 5), positive(rng, 0.5, 5)
	f := func(in []*tensor.Tensor) *tensor.Tensor {
		return tensor.FrozenBatchNorm2d(in[0], w, b, rm, rv, 1e-5)
	}
	if err := tensortest.GradCheck(f, []*tensor.Tensor{x}, 1e-2, 1e-3, 1e-2); err != nil {
		t.Error(err)
	}
	// Gradients reach x only, even when a buffer requires them.
	w.SetRequiresGrad(true)
	y := tensor.FrozenBatchNorm2d(x, w, b, rm, rv, 1e-5)
	x.Grad = nil
	y.BackwardWith(tensor.Ones(y.Shape()...))
	if w.Grad != nil || x.Grad == nil {
		t.Errorf("frozen BN gradients: weight %v, x %v", w.Grad, x.Grad)
	}
}

func TestGroupNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, groups := range []int{1, 2, 6} {
		x := tensortest.Rand(rng, true, 2, 6, 3, 5)
		w := tensortest.Rand(rng, true, 6)
		b := tensortest.Rand(rng, true, 6)
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.GroupNorm(in[0], groups, in[1], in[2], 1e-5)
		}
		if err := tensortest.GradCheck(f, []*tensor.Tensor{x, w, b}, 1e-2, 2e-3, 2e-2); err != nil {
			t.Errorf("groups %d: %v", groups, err)
		}
	}
	x := tensortest.Rand(rng, true, 3, 4, 5)
	f := func(in []*tensor.Tensor) *tensor.Tensor { return tensor.GroupNorm(in[0], 2, nil, nil, 1e-5) }
	if err := tensortest.GradCheck(f, []*tensor.Tensor{x}, 1e-2, 2e-3, 2e-2); err != nil {
		t.Errorf("non-affine: %v", err)
	}
}

// TestBatchNorm2dStatistics checks the normalized output and the running
// statistics update against a direct float64 computation.
func TestBatchNorm2dStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n, c, hw := 3, 2, 7
	x := tensortest.Rand(rng, false, n, c, hw)
	rm, rv := tensor.FromSlice([]float32{0.5, -1}, c), tensor.FromSlice([]float32{2, 0.25}, c)
	rm0, rv0 := append([]float32(nil), rm.Data()...), append([]float32(nil), rv.Data()...)
	var y *tensor.Tensor
	tensor.NoGrad(func() { y = tensor.BatchNorm2d(x, nil, nil, rm, rv, true, 0.3, 1e-5) })
	xd, yd := x.Data(), y.Data()
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				s += float64(xd[(i*c+ch)*hw+j])
			}
		}
		m := float64(n * hw)
		mu := s / m
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				d := float64(xd[(i*c+ch)*hw+j]) - mu
				ss += d * d
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				k := (i*c+ch)*hw + j
				want := (float64(xd[k]) - mu) / math.Sqrt(ss/m+1e-5)
				if math.Abs(float64(yd[k])-want) > 1e-5 {
					t.Fatalf("y[%d] = %g, want %g", k, yd[k], want)
				}
			}
		}
		wantRM := 0.7*float64(rm0[ch]) + 0.3*mu
		wantRV := 0.7*float64(rv0[ch]) + 0.3*ss/(m-1)
		if math.Abs(float64(rm.Data()[ch])-wantRM) > 1e-6 || math.Abs(float64(rv.Data()[ch])-wantRV) > 1e-6 {
			t.Errorf("channel %d: running %g %g, want %g %g", ch, rm.Data()[ch], rv.Data()[ch], wantRM, wantRV)
		}
	}
}

func TestNormShapeErrors(t *testing.T) {
	x := tensor.Zeros(2, 4, 3, 3)
	for name, f := range map[string]func(){
		"bn 1-d input":     func() { tensor.BatchNorm2d(tensor.Zeros(4), nil, nil, nil, nil, true, 0.1, 1e-5) },
		"bn weight shape":  func() { tensor.BatchNorm2d(x, tensor.Zeros(3), nil, nil, nil, true, 0.1, 1e-5) },
		"bn one value":     func() { tensor.BatchNorm2d(tensor.Zeros(1, 4, 1, 1), nil, nil, nil, nil, true, 0.1, 1e-5) },
		"bn eval no stats": func() { tensor.BatchNorm2d(x, nil, nil, nil, nil, false, 0.1, 1e-5) },
		"bn half stats":    func() { tensor.BatchNorm2d(x, nil, nil, tensor.Zeros(4), nil, true, 0.1, 1e-5) },
		"frozen no stats":  func() { tensor.FrozenBatchNorm2d(x, nil, nil, nil, nil, 1e-5) },
		"frozen var shape": func() { tensor.FrozenBatchNorm2d(x, nil, nil, tensor.Zeros(4), tensor.Zeros(2, 2), 1e-5) },
		"gn groups":        func() { tensor.GroupNorm(x, 3, nil, nil, 1e-5) },
		"gn zero groups":   func() { tensor.GroupNorm(x, 0, nil, nil, 1e-5) },
		"gn bias shape":    func() { tensor.GroupNorm(x, 2, nil, tensor.Zeros(5), 1e-5) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if s, ok := r.(string); !ok || len(s) < 10 {
					t.Errorf("%s: unhelpful panic %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestNormThreadsAgree runs sizes large enough for the kernels to split work
// across goroutines and checks the results are identical to one thread
// (each channel or group is reduced by one goroutine, so bit-identical).
func TestNormThreadsAgree(t *testing.T) {
	run := func() [][]float32 {
		rng := rand.New(rand.NewPCG(21, 22))
		x := tensortest.Rand(rng, true, 2, 8, 64, 64)
		w, b := tensortest.Rand(rng, true, 8), tensortest.Rand(rng, true, 8)
		rm, rv := tensor.Zeros(8), tensor.Ones(8)
		g := tensortest.Rand(rng, false, 2, 8, 64, 64)
		var out [][]float32
		for _, f := range []func() *tensor.Tensor{
			func() *tensor.Tensor { return tensor.BatchNorm2d(x, w, b, rm, rv, true, 0.1, 1e-5) },
			func() *tensor.Tensor { return tensor.BatchNorm2d(x, w, b, rm, rv, false, 0.1, 1e-5) },
			func() *tensor.Tensor { return tensor.FrozenBatchNorm2d(x, w, b, rm, rv, 1e-5) },
			func() *tensor.Tensor { return tensor.GroupNorm(x, 2, w, b, 1e-5) },
		} {
			x.Grad, w.Grad, b.Grad = nil, nil, nil
			y := f()
			y.BackwardWith(g)
			out = append(out, y.Data(), x.Grad.Data(), rm.Data(), rv.Data())
			if w.Grad != nil {
				out = append(out, w.Grad.Data(), b.Grad.Data())
			}
		}
		return out
	}
	defer cpu.SetThreads(cpu.Threads())
	cpu.SetThreads(1)
	one := run()
	cpu.SetThreads(4)
	four := run()
	for i := range one {
		for j, v := range one[i] {
			if four[i][j] != v {
				t.Fatalf("result %d element %d: 1 thread %g, 4 threads %g", i, j, v, four[i][j])
			}
		}
	}
}
