package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// RoIAlign at the box head's workload: 512 RoIs pooled 7x7 with 2x2
// samples from a 256-channel P2 map of a 512x512 image.

func roiBenchInputs() (*tensor.Tensor, *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensortest.Rand(rng, true, 1, 256, 128, 128)
	rois := make([]float32, 0, 512*5)
	for range 512 {
		x1, y1 := rng.Float32()*400, rng.Float32()*400
		w, h := 8+rng.Float32()*104, 8+rng.Float32()*104
		rois = append(rois, 0, x1, y1, x1+w, y1+h)
	}
	return x, tensor.FromSlice(rois, 512, 5)
}

var roiBenchOpts = tensor.RoIAlignOpts{OutputSize: [2]int{7, 7}, SpatialScale: 0.25, SamplingRatio: 2}

func BenchmarkRoIAlignForward(b *testing.B) {
	x, rois := roiBenchInputs()
	b.ResetTimer()
	for range b.N {
		tensor.NoGrad(func() { tensor.RoIAlign(x, rois, roiBenchOpts) })
	}
}

func BenchmarkRoIAlignForwardBackward(b *testing.B) {
	x, rois := roiBenchInputs()
	b.ResetTimer()
	for range b.N {
		y := tensor.RoIAlign(x, rois, roiBenchOpts)
		y.BackwardWith(tensor.Ones(y.Shape()...))
	}
}
