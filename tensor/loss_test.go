package tensor_test

import (
	"math"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestCrossEntropy(t *testing.T) {
	rng := opsRNG(50)
	x := tensortest.Rand(rng, true, 7, 5)
	targets := []int32{0, 4, -100, 2, -100, 1, 3}
	// Reference: mean over non-ignored rows of -log_softmax[target].
	ls := opsLogSoftmaxRef(x, 1)
	sum, n := 0.0, 0
	for i, tg := range targets {
		if tg != -100 {
			sum -= ls[i*5+int(tg)]
			n++
		}
	}
	opsClose(t, "CrossEntropy", tensor.CrossEntropy(x, targets, -100), []int{}, []float64{sum / float64(n)})
	opsGrad(t, "CrossEntropy", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.CrossEntropy(in[0], targets, -100) }, x)
	// A class index as the ignore index.
	opsGrad(t, "CrossEntropy ignore=1", func(in []*tensor.Tensor) *tensor.Tensor {
		return tensor.CrossEntropy(in[0], []int32{1, 1, 0, 4, 1, 2, 3}, 1)
	}, x)

	// Every row ignored: loss 0 and a zero gradient, not NaN.
	x.Grad = nil
	l := tensor.CrossEntropy(x, []int32{-1, -1, -1, -1, -1, -1, -1}, -1)
	if l.Item() != 0 {
		t.Errorf("all-ignored loss = %g, want 0", l.Item())
	}
	l.Backward()
	for _, v := range x.Grad.Data() {
		if v != 0 {
			t.Fatalf("all-ignored gradient %v, want zeros", x.Grad.Data())
		}
	}
	// No rows at all.
	e := tensor.Zeros(0, 3).SetRequiresGrad(true)
	if v := tensor.CrossEntropy(e, nil, -100).Item(); v != 0 {
		t.Errorf("empty CrossEntropy = %g", v)
	}

	opsPanics(t, func() { tensor.CrossEntropy(x, []int32{0, 5, 0, 0, 0, 0, 0}, -100) }, "tensor.CrossEntropy", "target 5", "5 classes")
	opsPanics(t, func() { tensor.CrossEntropy(x, []int32{0}, -100) }, "tensor.CrossEntropy", "1 targets", "[7 5]")
	opsPanics(t, func() { tensor.CrossEntropy(tensor.Zeros(7), targets, -100) }, "tensor.CrossEntropy", "[7]", "[N, C]")
}

func TestBCEWithLogits(t *testing.T) {
	rng := opsRNG(51)
	x := tensor.MulScalar(tensortest.Rand(rng, false, 4, 7), 4).SetRequiresGrad(true)
	tg := tensor.Abs(tensortest.Rand(rng, false, 4, 7)).SetRequiresGrad(true) // soft targets in [0,1]
	sum := 0.0
	for i, v := range x.Data() {
		p := 1 / (1 + math.Exp(-float64(v)))
		q := float64(tg.Data()[i])
		sum -= q*math.Log(p) + (1-q)*math.Log(1-p)
	}
	opsClose(t, "BCEWithLogits", tensor.BCEWithLogits(x, tg), []int{}, []float64{sum / 28})
	opsGrad(t, "BCEWithLogits", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.BCEWithLogits(in[0], in[1]) }, x, tg)
	// Stable for huge logits: exact values, finite gradients.
	big := tensor.FromSlice([]float32{100, -100, 0}, 3).SetRequiresGrad(true)
	l := tensor.BCEWithLogits(big, tensor.FromSlice([]float32{0, 1, 1}, 3))
	opsClose(t, "BCEWithLogits large", l, []int{}, []float64{(100 + 100 + math.Ln2) / 3})
	l.Backward()
	opsClose(t, "BCEWithLogits large grad", big.Grad, []int{3}, []float64{1.0 / 3, -1.0 / 3, -0.5 / 3})
	opsPanics(t, func() { tensor.BCEWithLogits(x, tensor.Zeros(7, 4)) }, "tensor.BCEWithLogits", "[4 7]", "[7 4]")
}

func TestSmoothL1(t *testing.T) {
	rng := opsRNG(52)
	for _, beta := range []float32{1.0 / 9, 0, 0.5} {
		// Differences kept away from the kinks at |d| = beta and d = 0.
		p := tensortest.Rand(rng, true, 5, 4)
		d := opsRandAway(rng, 0.05, 5, 4)
		for i, v := range d.Data() {
			if math.Abs(math.Abs(float64(v))-float64(beta)) < 0.02 {
				d.Data()[i] = v * 1.5
			}
		}
		q := tensor.Sub(p, d).Detach().SetRequiresGrad(true)
		sum := 0.0
		for _, v := range d.Data() {
			a := math.Abs(float64(v))
			if a < float64(beta) {
				sum += 0.5 * a * a / float64(beta)
			} else {
				sum += a - 0.5*float64(beta)
			}
		}
		opsClose(t, "SmoothL1 sum", tensor.SmoothL1(p, q, beta, tensor.ReduceSum), []int{}, []float64{sum})
		opsClose(t, "SmoothL1 mean", tensor.SmoothL1(p, q, beta, tensor.ReduceMean), []int{}, []float64{sum / 20})
		if s := tensor.SmoothL1(p, q, beta, tensor.ReduceNone).Shape(); !tensor.SameShape(s, []int{5, 4}) {
			t.Errorf("ReduceNone shape %v", s)
		}
		for _, red := range []tensor.Reduction{tensor.ReduceSum, tensor.ReduceMean, tensor.ReduceNone} {
			opsGrad(t, "SmoothL1 "+red.String(), func(in []*tensor.Tensor) *tensor.Tensor { return tensor.SmoothL1(in[0], in[1], beta, red) }, p, q)
		}
	}
	opsPanics(t, func() { tensor.SmoothL1(tensor.Zeros(2), tensor.Zeros(3), 1, tensor.ReduceSum) }, "tensor.SmoothL1", "[2]", "[3]")
	opsPanics(t, func() { tensor.SmoothL1(tensor.Zeros(2), tensor.Zeros(2), -1, tensor.ReduceSum) }, "tensor.SmoothL1", "negative beta")
}
