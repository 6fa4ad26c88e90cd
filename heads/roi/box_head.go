package roi

// Shapes: R RoIs (all images of the batch), C channels, S x S pooled bins
// (7 x 7), F the representation size (1024).
//
//	pooled [R, C, S, S] -> flatten [R, C*S*S] -> fc6 + ReLU [R, F] -> fc7 + ReLU [R, F]

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// TwoMLPHead is the FPN box head: two fully connected layers with ReLU
// (torchvision's TwoMLPHead, detectron2's FastRCNNConvFCHead with
// NUM_FC 2). Parameters "fc6.weight", "fc6.bias", "fc7.weight", "fc7.bias".
type TwoMLPHead struct {
	nn.Container
	FC6, FC7 *nn.Linear
}

// NewTwoMLPHead builds the head for inputs of inFeatures = C*S*S values per
// RoI, drawing fc6 then fc7 from rng as init says.
func NewTwoMLPHead(rng *rand.Rand, inFeatures, representation int, init Init) *TwoMLPHead {
	h := &TwoMLPHead{}
	h.FC6 = nn.Register(&h.Container, "fc6", newLinear(rng, inFeatures, representation, init))
	h.FC7 = nn.Register(&h.Container, "fc7", newLinear(rng, representation, representation, init))
	return h
}

func newLinear(rng *rand.Rand, in, out int, init Init) *nn.Linear {
	l := nn.NewLinear(rng, in, out, true) // torch's default initialization
	if init == Detectron2Init {
		nn.C2XavierFill(rng, l.Weight, l.Bias)
	}
	return l
}

// Forward maps pooled features [R, C, S, S] to [R, F].
func (h *TwoMLPHead) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() < 2 {
		panic(fmt.Sprintf("roi.TwoMLPHead.Forward: input %v is not [R, ...]", x.Shape()))
	}
	in := h.FC6.Weight.Value.Dim(1)
	if x.Numel() != x.Dim(0)*in {
		panic(fmt.Sprintf("roi.TwoMLPHead.Forward: input %v does not have %d values per RoI", x.Shape(), in))
	}
	x = tensor.Reshape(x, x.Dim(0), in)
	x = tensor.Relu(h.FC6.Forward(x))
	return tensor.Relu(h.FC7.Forward(x))
}
