package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// Norm op benchmarks on a ResNet-stage-sized activation, forward plus
// backward (bench: go test ./tensor -run X -bench Norm).

func benchNorm(b *testing.B, f func(x *tensor.Tensor) *tensor.Tensor, n, c, h, w int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensortest.Rand(rng, true, n, c, h, w)
	g := tensortest.Rand(rng, false, n, c, h, w)
	b.SetBytes(int64(4 * x.Numel()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y := f(x)
		y.BackwardWith(g)
		x.Grad = nil
	}
}

func BenchmarkNormBatchNorm2dTrain(b *testing.B) {
	w, bias := tensor.Ones(64).SetRequiresGrad(true), tensor.Zeros(64).SetRequiresGrad(true)
	rm, rv := tensor.Zeros(64), tensor.Ones(64)
	benchNorm(b, func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.BatchNorm2d(x, w, bias, rm, rv, true, 0.1, 1e-5)
	}, 2, 64, 128, 128)
}

func BenchmarkNormFrozenBatchNorm2d(b *testing.B) {
	w, bias := tensor.Ones(64), tensor.Zeros(64)
	rm, rv := tensor.Zeros(64), tensor.Ones(64)
	benchNorm(b, func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.FrozenBatchNorm2d(x, w, bias, rm, rv, 1e-5)
	}, 2, 64, 128, 128)
}

func BenchmarkNormGroupNorm32(b *testing.B) {
	w, bias := tensor.Ones(64).SetRequiresGrad(true), tensor.Zeros(64).SetRequiresGrad(true)
	benchNorm(b, func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.GroupNorm(x, 32, w, bias, 1e-5)
	}, 2, 64, 128, 128)
}
