package rpn

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// BenchmarkForward800x1344 runs the RPN in training mode on one COCO-sized
// image (P2..P6 of 800x1344, 267k anchors, 8 ground-truth boxes) with an
// 8-channel head, so that the host-side work (anchors, proposal selection,
// matching, sampling, loss gathering) dominates rather than the head's
// convolutions.
func BenchmarkForward800x1344(b *testing.B) {
	for _, training := range []bool{true, false} {
		name := "train"
		if !training {
			name = "test"
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			r, err := New(rng, 8, TorchvisionConfig())
			if err != nil {
				b.Fatal(err)
			}
			r.Train(training)
			var feats []*tensor.Tensor
			for l := range 5 {
				feats = append(feats, tensortest.Rand(rng, false, 1, 8, 200>>l, 336>>l))
			}
			gt := box.Boxes{}
			for i := range 8 {
				x, y := float32(100*i+10), float32(60*i+20)
				gt = append(gt, x, y, x+40+float32(30*i), y+50+float32(20*i))
			}
			in := Input{Features: feats, Padded: ImageSize{800, 1344}, Sizes: []ImageSize{{800, 1333}}, GT: []box.Boxes{gt}, Rand: rng}
			if !training {
				in.GT, in.Rand = nil, nil
			}
			b.ResetTimer()
			for range b.N {
				out, err := r.Forward(in)
				if err != nil {
					b.Fatal(err)
				}
				if training {
					tensor.Add(out.Losses.Objectness, out.Losses.BoxReg).Backward()
				}
			}
		})
	}
}
