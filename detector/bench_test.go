package detector

import (
	"math/rand/v2"
	"testing"
	"time"

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

// BenchmarkStagesR50FPN splits a training step (frozen layout) into the
// backbone forward, the RPN (head, proposals, targets, losses), the RoI
// heads (sampling, pooling, box head, losses) and the backward pass,
// reported as ms/op metrics.
func BenchmarkStagesR50FPN(b *testing.B) {
	m, images, gts := benchModel(b, true)
	m.Train(true)
	rng := rand.New(rand.NewPCG(3, 4))
	var tBackbone, tRPN, tRoI, tBackward time.Duration
	b.ResetTimer()
	for range b.N {
		nn.ZeroGrad(m)
		t0 := time.Now()
		feats, names := m.Features(images)
		t1 := time.Now()
		rout, err := m.RPN.Forward(rpn.Input{Features: feats, Padded: images.Padded(), Sizes: images.Sizes, GT: []box.Boxes{gts[0].Boxes}, Rand: rng})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		oout, err := m.RoIHeads.Forward(roi.Input{Features: m.BoxPooler().Select(feats, names), Proposals: []box.Boxes{rout.Proposals[0].Boxes}, Sizes: images.Sizes, GT: gts, Rand: rng})
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		Losses{RPN: rout.Losses, RoI: oout.Losses}.Total().Backward()
		t4 := time.Now()
		tBackbone += t1.Sub(t0)
		tRPN += t2.Sub(t1)
		tRoI += t3.Sub(t2)
		tBackward += t4.Sub(t3)
	}
	n := float64(b.N) * 1e6
	b.ReportMetric(float64(tBackbone)/n, "backbone-ms/op")
	b.ReportMetric(float64(tRPN)/n, "rpn-ms/op")
	b.ReportMetric(float64(tRoI)/n, "roi-ms/op")
	b.ReportMetric(float64(tBackward)/n, "backward-ms/op")
}
