package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestUnaryGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, op := range map[string]func(*tensor.Tensor) *tensor.Tensor{
		"relu": tensor.Relu, "sigmoid": tensor.Sigmoid,
	} {
		x := tensortest.Rand(rng, true, 3, 5, 7)
		if err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor { return op(in[0]) },
			[]*tensor.Tensor{x}, 1e-3, 1e-3, 1e-2); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
