package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// Helpers shared by the op tests (binary, reduce, shape, index, softmax,
// loss, matmul).

func opsRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// opsRandAway is like tensortest.Rand but keeps |x| >= lo, away from the
// kinks of Abs, Relu and the like.
func opsRandAway(rng *rand.Rand, lo float64, shape ...int) *tensor.Tensor {
	d := make([]float32, tensor.Numel(shape))
	for i := range d {
		v := lo + (1-lo)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		d[i] = float32(v)
	}
	return tensor.FromSlice(d, shape...).SetRequiresGrad(true)
}

// opsGrad runs tensortest.GradCheck with tolerances that suit float32 ops
// of order-one values.
func opsGrad(t *testing.T, name string, f func(in []*tensor.Tensor) *tensor.Tensor, inputs ...*tensor.Tensor) {
	t.Helper()
	if err := tensortest.GradCheck(f, inputs, 1e-3, 2e-3, 1e-2); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// opsPanics checks that f panics with a message containing every want.
func opsPanics(t *testing.T, f func(), want ...string) {
	t.Helper()
	msg := func() (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		f()
		return "<no panic>"
	}()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("panic %q does not contain %q", msg, w)
			return
		}
	}
}

// opsClose compares values to 1e-5 relative.
func opsClose(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), shape)
		return
	}
	d := got.Data()
	if len(d) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(d), len(want))
		return
	}
	for i, v := range d {
		if diff := math.Abs(float64(v) - want[i]); diff > 1e-5+1e-5*math.Abs(want[i]) || math.IsNaN(float64(v)) != math.IsNaN(want[i]) {
			t.Errorf("%s[%d] = %g, want %g", what, i, v, want[i])
			return
		}
	}
}

// opsUnravel returns the multi-index of flat position p in shape.
func opsUnravel(p int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = p % shape[d]
		p /= shape[d]
	}
	return idx
}

// opsRavel returns the flat position of idx in shape.
func opsRavel(idx, shape []int) int {
	p := 0
	for d := range shape {
		p = p*shape[d] + idx[d]
	}
	return p
}
