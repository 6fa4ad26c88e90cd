package rpn

// Shapes: N images, L levels, level l a Hl x Wl grid, C input channels (the
// FPN width, 256), A anchors per position.
//
//	features[l]   [N, C, Hl, Wl]
//	conv          ConvDepth x (3x3 conv C->C + ReLU), shared by all levels
//	objectness[l] [N, A, Hl, Wl]     1x1 conv C->A   ("cls_logits")
//	deltas[l]     [N, A*4, Hl, Wl]   1x1 conv C->4A  ("bbox_pred")

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Head is the RPN head shared by every feature level (torchvision's RPNHead,
// detectron2's StandardRPNHead). Its parameter names are torchvision 0.14's:
// "conv.0.0.weight" (each conv sits in a Conv2dNormActivation, itself a
// Sequential of the conv and a ReLU), "cls_logits.weight", "bbox_pred.weight".
type Head struct {
	nn.Container
	Conv      *nn.Sequential
	ClsLogits *nn.Conv2d
	BBoxPred  *nn.Conv2d
}

// NewHead builds a head for inChannels-wide features and numAnchors anchors
// per position, every conv weight drawn from N(0, 0.01) (in registration
// order: convs, cls_logits, bbox_pred) and biases 0, as both torchvision and
// detectron2 initialize it.
func NewHead(rng *rand.Rand, inChannels, numAnchors, convDepth int) *Head {
	if inChannels < 1 || numAnchors < 1 || convDepth < 1 {
		panic(fmt.Sprintf("rpn.NewHead: in channels %d, anchors %d, conv depth %d must be positive", inChannels, numAnchors, convDepth))
	}
	h := &Head{}
	var blocks []nn.Layer
	for range convDepth {
		blocks = append(blocks, nn.NewSequential(newConv(rng, inChannels, inChannels, 3), nn.ReLU{}))
	}
	h.Conv = nn.Register(&h.Container, "conv", nn.NewSequential(blocks...))
	h.ClsLogits = nn.Register(&h.Container, "cls_logits", newConv(rng, inChannels, numAnchors, 1))
	h.BBoxPred = nn.Register(&h.Container, "bbox_pred", newConv(rng, inChannels, 4*numAnchors, 1))
	return h
}

// newConv is a k x k conv with bias, stride 1, same padding, weight
// N(0, 0.01), bias 0.
func newConv(rng *rand.Rand, in, out, k int) *nn.Conv2d {
	c := &nn.Conv2d{
		Weight: nn.NewParam("weight", nn.KindConv, tensor.Zeros(out, in, k, k), true),
		Bias:   nn.NewParam("bias", nn.KindBias, tensor.Zeros(out), true),
		Opts:   tensor.ConvOpts{Padding: [2]int{k / 2, k / 2}},
	}
	nn.Normal(rng, c.Weight.Value, 0, 0.01)
	return c
}

// NumAnchors is A.
func (h *Head) NumAnchors() int { return h.ClsLogits.Weight.Value.Dim(0) }

// Forward returns the objectness logits [N, A, Hl, Wl] and box deltas
// [N, 4A, Hl, Wl] of every level.
func (h *Head) Forward(features []*tensor.Tensor) (objectness, deltas []*tensor.Tensor) {
	for l, f := range features {
		if f.Dims() != 4 {
			panic("rpn.Head.Forward: level " + strconv.Itoa(l) + " features are not [N, C, H, W]: " + fmt.Sprint(f.Shape()))
		}
		t := h.Conv.Forward(f)
		objectness = append(objectness, h.ClsLogits.Forward(t))
		deltas = append(deltas, h.BBoxPred.Forward(t))
	}
	return objectness, deltas
}
