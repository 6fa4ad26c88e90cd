package detector

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// The Mask R-CNN workload of ../shared/tools/torch_reference/rcnn_bench.py
// (and of bench/mask, which runs it against PyTorch): R50-FPN, torchvision
// preset with 91 classes, random-init layout (trainable BatchNorm), one
// 3x512x512 image with 3 boxes and their rectangular masks.

func maskBenchModel(b *testing.B, scoreThresh float32) (*GeneralizedRCNN, ImageList, []roi.GroundTruth) {
	b.Helper()
	cfg := TorchvisionMaskRCNNConfig(90)
	cfg.Backbone = backbone.Config{Depth: 50, Norm: backbone.BN}
	cfg.RoI.ScoreThresh = scoreThresh
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := New(rng, cfg)
	if err != nil {
		b.Fatal(err)
	}
	const s = 512
	images := ImageList{Tensor: tensortest.Rand(rng, false, 1, 3, s, s), Sizes: []rpn.ImageSize{{H: s, W: s}}}
	gt := roi.GroundTruth{Boxes: box.Boxes{40, 50, 200, 260, 250, 100, 480, 300, 100, 320, 300, 500}, Labels: []int32{1, 2, 3}}
	for k := range 3 {
		bm := make([]uint8, s*s)
		for y := int(gt.Boxes[4*k+1]); y < int(gt.Boxes[4*k+3]); y++ {
			for x := int(gt.Boxes[4*k]); x < int(gt.Boxes[4*k+2]); x++ {
				bm[y*s+x] = 1
			}
		}
		gt.Masks = append(gt.Masks, coco.Mask{Bitmap: bm})
	}
	return m, images, []roi.GroundTruth{gt}
}

// BenchmarkMaskRCNNTrainStepR50FPN is one training step (forward, backward,
// plain SGD update), split into stages reported as ms/op metrics: backbone,
// RPN, box branch, mask branch (targets, head, loss) and backward.
func BenchmarkMaskRCNNTrainStepR50FPN(b *testing.B) {
	m, images, gts := maskBenchModel(b, 0.05)
	m.Train(true)
	rng := rand.New(rand.NewPCG(3, 4))
	params := nn.TrainableParams(m)
	var tBackbone, tRPN, tRoI, tBackward time.Duration
	positives := 0
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
		positives += len(oout.Sampled[0].Foreground())
		t3 := time.Now()
		Losses{RPN: rout.Losses, RoI: oout.Losses}.Total().Backward()
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
		t4 := time.Now()
		tBackbone += t1.Sub(t0)
		tRPN += t2.Sub(t1)
		tRoI += t3.Sub(t2)
		tBackward += t4.Sub(t3)
	}
	n := float64(b.N) * 1e6
	b.ReportMetric(float64(tBackbone)/n, "backbone-ms/op")
	b.ReportMetric(float64(tRPN)/n, "rpn-ms/op")
	b.ReportMetric(float64(tRoI)/n, "roi+mask-ms/op")
	b.ReportMetric(float64(tBackward)/n, "backward+sgd-ms/op")
	b.ReportMetric(float64(positives)/float64(b.N), "mask-rois/op")
}

// BenchmarkMaskRCNNPredictR50FPN is eval-mode prediction with pasted RLE
// masks; "100dets" lowers the score threshold to 0 so that the mask head
// runs on 100 detections.
func BenchmarkMaskRCNNPredictR50FPN(b *testing.B) {
	for _, c := range []struct {
		name   string
		thresh float32
	}{{"default", 0.05}, {"100dets", 0}} {
		b.Run(c.name, func(b *testing.B) {
			m, images, _ := maskBenchModel(b, c.thresh)
			dets := 0
			b.ResetTimer()
			for range b.N {
				d, err := m.Predict(images)
				if err != nil {
					b.Fatal(err)
				}
				dets += d[0].Len()
			}
			b.ReportMetric(float64(dets)/float64(b.N), "detections/op")
		})
	}
}
