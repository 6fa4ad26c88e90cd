package tensor_test

import (
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// opsMatmulRef multiplies row-major [m,k] x [k,n] in float64.
func opsMatmulRef(a, b []float32, m, k, n int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestMatmul(t *testing.T) {
	rng := opsRNG(60)
	a := tensortest.Rand(rng, true, 5, 7)
	b := tensortest.Rand(rng, true, 7, 3)
	opsClose(t, "Matmul", tensor.Matmul(a, b), []int{5, 3}, opsMatmulRef(a.Data(), b.Data(), 5, 7, 3))
	opsGrad(t, "Matmul", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Matmul(in[0], in[1]) }, a, b)

	ba := tensortest.Rand(rng, true, 3, 4, 5)
	bb := tensortest.Rand(rng, true, 3, 5, 2)
	y := tensor.Matmul(ba, bb)
	var want []float64
	for i := 0; i < 3; i++ {
		want = append(want, opsMatmulRef(ba.Data()[i*20:], bb.Data()[i*10:], 4, 5, 2)...)
	}
	opsClose(t, "batched Matmul", y, []int{3, 4, 2}, want)
	opsGrad(t, "batched Matmul", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Matmul(in[0], in[1]) }, ba, bb)
	// One operand constant.
	k := tensortest.Rand(rng, false, 7, 3)
	opsGrad(t, "Matmul(a, const)", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Matmul(in[0], k) }, a)
	// Empty inner dimension: zeros.
	opsClose(t, "Matmul K=0", tensor.Matmul(tensor.Zeros(2, 0), tensor.Zeros(0, 3)), []int{2, 3}, make([]float64, 6))

	opsPanics(t, func() { tensor.Matmul(a, a) }, "tensor.Matmul", "[5 7]", "[5 7]")
	opsPanics(t, func() { tensor.Matmul(ba, b) }, "tensor.Matmul", "[3 4 5]", "[7 3]")
	opsPanics(t, func() { tensor.Matmul(ba, tensortest.Rand(rng, false, 2, 5, 2)) }, "tensor.Matmul", "[3 4 5]", "[2 5 2]")
}

func TestLinear(t *testing.T) {
	rng := opsRNG(61)
	x := tensortest.Rand(rng, true, 6, 5)
	w := tensortest.Rand(rng, true, 3, 5)
	b := tensortest.Rand(rng, true, 3)
	// Reference: x w^T + b.
	wt := tensor.Permute(w, 1, 0).Data()
	want := opsMatmulRef(x.Data(), wt, 6, 5, 3)
	for i := range want {
		want[i] += float64(b.Data()[i%3])
	}
	opsClose(t, "Linear", tensor.Linear(x, w, b), []int{6, 3}, want)
	opsGrad(t, "Linear", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], in[2]) }, x, w, b)
	opsGrad(t, "Linear no bias", func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], nil) }, x, w)
	// Equivalent to the broadcasting composition.
	comp := tensor.Add(tensor.Matmul(x, tensor.Permute(w, 1, 0)), b)
	opsClose(t, "Linear vs Matmul+Add", tensor.Linear(x, w, b), []int{6, 3}, comp.Float64s())

	opsPanics(t, func() { tensor.Linear(x, tensor.Zeros(3, 4), nil) }, "tensor.Linear", "[6 5]", "[3 4]", "b nil")
	opsPanics(t, func() { tensor.Linear(x, w, tensor.Zeros(4)) }, "tensor.Linear", "b [4]")
}
