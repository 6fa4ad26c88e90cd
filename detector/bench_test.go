package detector

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// The workload of ../shared/tools/torch_reference/rcnn_bench.py: Faster
// R-CNN R50-FPN (torchvision preset, 91 classes) on one 3x512x512 image with
// 3 boxes. "bn" is the random-init layout (trainable BatchNorm, nothing
// frozen), "frozen" the fine-tuning layout (FrozenBN, stem and res2 frozen).
// The train step is forward, backward and a plain SGD update.

func benchModel(b *testing.B, frozen bool) (*GeneralizedRCNN, ImageList, []roi.GroundTruth) {
	b.Helper()
	cfg := TorchvisionConfig(90)
	if !frozen {
		cfg.Backbone = backbone.Config{Depth: 50, Norm: backbone.BN}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := New(rng, cfg)
	if err != nil {
		b.Fatal(err)
	}
	images := ImageList{Tensor: tensortest.Rand(rng, false, 1, 3, 512, 512), Sizes: []rpn.ImageSize{{H: 512, W: 512}}}
	gts := []roi.GroundTruth{{Boxes: box.Boxes{40, 50, 200, 220, 300, 100, 480, 260, 120, 300, 260, 500}, Labels: []int32{1, 7, 33}}}
	return m, images, gts
}

func benchTrain(b *testing.B, frozen bool) {
	m, images, gts := benchModel(b, frozen)
	rng := rand.New(rand.NewPCG(3, 4))
	params := nn.TrainableParams(m)
	b.ResetTimer()
	for range b.N {
		l, err := m.LossOn(images, gts, rng)
		if err != nil {
			b.Fatal(err)
		}
		nn.ZeroGrad(m)
		l.Total().Backward()
		tensor.NoGrad(func() {
			for _, p := range params {
				if g := p.Grad(); g != nil {
					d, gd := p.Value.Data(), g.Data()
					for i := range d {
						d[i] -= 1e-4 * gd[i]
					}
				}
			}
		})
	}
}

func benchInfer(b *testing.B, frozen bool) {
	m, images, _ := benchModel(b, frozen)
	b.ResetTimer()
	for range b.N {
		if _, err := m.Predict(images); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainStepR50FPN(b *testing.B) {
	b.Run("bn", func(b *testing.B) { benchTrain(b, false) })
	b.Run("frozen", func(b *testing.B) { benchTrain(b, true) })
}

func BenchmarkPredictR50FPN(b *testing.B) {
	b.Run("bn", func(b *testing.B) { benchInfer(b, false) })
	b.Run("frozen", func(b *testing.B) { benchInfer(b, true) })
}
