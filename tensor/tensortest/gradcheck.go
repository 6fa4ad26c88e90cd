// Package tensortest has helpers for testing ops and layers: random tensors
// and gradient checks against finite differences.
package tensortest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// Rand returns a tensor of the given shape with values uniform in [-1, 1)
// drawn from rng, requiring gradients when grad is true.
func Rand(rng *rand.Rand, grad bool, shape ...int) *tensor.Tensor {
	d := make([]float32, tensor.Numel(shape))
	for i := range d {
		d[i] = float32(rng.Float64()*2 - 1)
	}
	return tensor.FromSlice(d, shape...).SetRequiresGrad(grad)
}

// GradCheck compares the analytic gradients of f at inputs with central
// finite differences. The scalar checked is L = sum(f(inputs) * R) for a
// fixed random R, accumulated in float64, so non-scalar outputs are covered.
// eps is the step (1e-2 suits float32 ops of order-one values); the check
// passes when |analytic - numeric| <= atol + rtol*|numeric| for every
// element of every input that requires gradients. It returns a descriptive
// error for the first mismatch.
func GradCheck(f func(in []*tensor.Tensor) *tensor.Tensor, inputs []*tensor.Tensor, eps, atol, rtol float64) error {
	rng := rand.New(rand.NewPCG(7, 11))
	out := f(inputs)
	r := make([]float64, out.Numel())
	for i := range r {
		r[i] = rng.Float64()*2 - 1
	}
	rt := tensor.FromFloat64(r, out.Shape()...)
	for _, in := range inputs {
		in.Grad = nil
	}
	if !out.RequiresGrad() {
		return fmt.Errorf("output does not require gradients")
	}
	out.BackwardWith(rt)

	loss := func() float64 {
		var o *tensor.Tensor
		tensor.NoGrad(func() { o = f(inputs) })
		s := 0.0
		for i, v := range o.Data() {
			s += float64(v) * r[i]
		}
		return s
	}
	for k, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		if in.Grad == nil {
			return fmt.Errorf("input %d: no gradient accumulated", k)
		}
		g := in.Grad.Data()
		d := in.Data()
		for i := range d {
			old := d[i]
			d[i] = old + float32(eps)
			up := loss()
			d[i] = old - float32(eps)
			down := loss()
			d[i] = old
			num := (up - down) / (2 * eps)
			if diff := math.Abs(float64(g[i]) - num); diff > atol+rtol*math.Abs(num) || math.IsNaN(float64(g[i])) {
				return fmt.Errorf("input %d (shape %v) element %d: analytic %g, numeric %g", k, in.Shape(), i, g[i], num)
			}
		}
	}
	return nil
}
