package roi

// Shapes: R RoIs, C input channels, S x S pooled bins (14 x 14), D the
// head's width (256), K+1 classes, M = 2S (28).
//
//	pooled [R, C, S, S] -> NumConvs x (conv3x3 D + ReLU) -> [R, D, S, S]   MaskHead
//	       -> conv5_mask (2x2 transposed, stride 2) + ReLU  -> [R, D, M, M]  MaskPredictor
//	       -> mask_fcn_logits (1x1)                         -> [R, K+1, M, M]

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// MaskHead is the mask branch's convolution stack: torchvision's
// MaskRCNNHeads (a Sequential of Conv2dNormActivation without norm, so
// parameters "0.0.weight", "0.0.bias", ..., "3.0.bias"), detectron2's
// MaskRCNNConvUpsampleHead without its deconvolution.
type MaskHead struct {
	nn.Container
	Convs []*nn.Conv2d
}

// convReLU is one Conv2dNormActivation without norm: the conv is child
// "0" (the ReLU at index 1 has no parameters).
type convReLU struct {
	nn.Container
	Conv *nn.Conv2d
}

// NewMaskHead builds numConvs 3x3 convolutions (padding 1, bias) from
// inChannels to dim channels. Both inits are kaiming-normal with fan out
// and ReLU gain and zero biases (torchvision's MaskRCNNHeads init and
// detectron2's c2_msra_fill).
func NewMaskHead(rng *rand.Rand, inChannels, numConvs, dim int) *MaskHead {
	h := &MaskHead{}
	in := inChannels
	for i := range numConvs {
		b := &convReLU{}
		conv := nn.NewConv2d(rng, nn.Conv2dConfig{In: in, Out: dim, Kernel: 3, Padding: 1, Bias: true})
		nn.C2MSRAFill(rng, conv.Weight, conv.Bias)
		b.Conv = nn.Register(&b.Container, "0", conv)
		nn.Register(&h.Container, strconv.Itoa(i), b)
		h.Convs = append(h.Convs, conv)
		in = dim
	}
	return h
}

// Forward maps pooled features [R, C, S, S] to [R, D, S, S].
func (h *MaskHead) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 {
		panic(fmt.Sprintf("roi.MaskHead.Forward: input %v is not [R, C, S, S]", x.Shape()))
	}
	for _, c := range h.Convs {
		x = tensor.Relu(c.Forward(x))
	}
	return x
}

// MaskPredictor upsamples the head's output 2x and predicts one mask
// logit map per class (torchvision's MaskRCNNPredictor: "conv5_mask",
// "mask_fcn_logits"). Like torchvision's it has K+1 outputs, the
// background's unused (detectron2 predicts K).
type MaskPredictor struct {
	nn.Container
	Deconv *nn.ConvTranspose2d
	Logits *nn.Conv2d
}

// NewMaskPredictor builds the predictor from inChannels through a dim-wide
// 2x2 stride-2 transposed convolution to numClasses+1 logit maps, as init
// says.
func NewMaskPredictor(rng *rand.Rand, inChannels, dim, numClasses int, init Init) *MaskPredictor {
	p := &MaskPredictor{}
	deconv := nn.NewConvTranspose2d(rng, nn.ConvTranspose2dConfig{In: inChannels, Out: dim, Kernel: 2, Stride: 2, Bias: true})
	logits := nn.NewConv2d(rng, nn.Conv2dConfig{In: dim, Out: numClasses + 1, Kernel: 1, Bias: true})
	if init == Detectron2Init {
		nn.C2MSRAFill(rng, deconv.Weight, deconv.Bias)
		nn.Normal(rng, logits.Weight.Value, 0, 0.001)
		nn.Constant(logits.Bias.Value, 0)
	} else {
		// torchvision re-draws the weights only; the biases keep torch's
		// default initialization.
		nn.KaimingNormal(rng, deconv.Weight.Value, 0, nn.FanOut, nn.GainReLU)
		nn.KaimingNormal(rng, logits.Weight.Value, 0, nn.FanOut, nn.GainReLU)
	}
	p.Deconv = nn.Register(&p.Container, "conv5_mask", deconv)
	p.Logits = nn.Register(&p.Container, "mask_fcn_logits", logits)
	return p
}

// NumClasses is K (foreground classes).
func (p *MaskPredictor) NumClasses() int { return p.Logits.Weight.Value.Dim(0) - 1 }

// Forward maps [R, D, S, S] to mask logits [R, K+1, 2S, 2S].
func (p *MaskPredictor) Forward(x *tensor.Tensor) *tensor.Tensor {
	return p.Logits.Forward(tensor.Relu(p.Deconv.Forward(x)))
}
