package tensor_test

import (
	"math"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// opsLogSoftmaxRef computes log-softmax along axis in float64.
func opsLogSoftmaxRef(x *tensor.Tensor, axis int) []float64 {
	s := x.Shape()
	out := make([]float64, x.Numel())
	for p := range out {
		idx := opsUnravel(p, s)
		mx := math.Inf(-1)
		for j := 0; j < s[axis]; j++ {
			idx[axis] = j
			mx = math.Max(mx, float64(x.Data()[opsRavel(idx, s)]))
		}
		sum := 0.0
		for j := 0; j < s[axis]; j++ {
			idx[axis] = j
			sum += math.Exp(float64(x.Data()[opsRavel(idx, s)]) - mx)
		}
		out[p] = float64(x.Data()[p]) - mx - math.Log(sum)
	}
	return out
}

func TestSoftmaxValues(t *testing.T) {
	rng := opsRNG(40)
	for _, c := range []struct {
		shape []int
		axis  int
	}{{[]int{4, 7}, 1}, {[]int{3, 5, 4}, 1}, {[]int{6, 2, 3}, 0}, {[]int{300, 81}, -1}} {
		x := tensor.MulScalar(tensortest.Rand(rng, false, c.shape...), 5)
		ax := c.axis
		if ax < 0 {
			ax += len(c.shape)
		}
		want := opsLogSoftmaxRef(x, ax)
		opsClose(t, "LogSoftmax", tensor.LogSoftmax(x, c.axis), c.shape, want)
		for i := range want {
			want[i] = math.Exp(want[i])
		}
		opsClose(t, "Softmax", tensor.Softmax(x, c.axis), c.shape, want)
	}
	// Stable for huge logits.
	x := tensor.FromSlice([]float32{1000, 0, -1000, 1e30, 1e30, -1e30}, 2, 3)
	ls := tensor.LogSoftmax(x, 1)
	if !ls.AllFinite() {
		t.Errorf("LogSoftmax of large logits: %v", ls.Data())
	}
	opsClose(t, "Softmax large", tensor.Softmax(x, 1), []int{2, 3}, []float64{1, 0, 0, 0.5, 0.5, 0})
	if v := ls.Data()[0]; v != 0 {
		t.Errorf("LogSoftmax(1000 | 0, -1000)[0] = %g, want 0", v)
	}
	opsPanics(t, func() { tensor.Softmax(x, 2) }, "tensor.Softmax", "axis 2 out of range", "[2 3]")
}

func TestSoftmaxGrad(t *testing.T) {
	rng := opsRNG(41)
	for _, c := range []struct {
		shape []int
		axis  int
	}{{[]int{4, 7}, 1}, {[]int{3, 5, 4}, 1}, {[]int{5, 3}, 0}, {[]int{2, 3, 5}, -1}} {
		x := tensortest.Rand(rng, true, c.shape...)
		opsGrad(t, "LogSoftmax", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(in[0], c.axis) }, x)
		opsGrad(t, "Softmax", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Softmax(in[0], c.axis) }, x)
	}
}
