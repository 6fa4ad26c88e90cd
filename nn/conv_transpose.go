package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// ConvTranspose2dConfig describes a square-kernel ConvTranspose2d as
// torch.nn.ConvTranspose2d's arguments do. Zero Stride, Dilation and Groups
// mean 1.
type ConvTranspose2dConfig struct {
	In, Out                                          int
	Kernel, Stride, Padding, OutputPadding, Dilation int
	Groups                                           int
	Bias                                             bool
}

// ConvTranspose2d is torch.nn.ConvTranspose2d (the mask head's deconv):
// x [N, In, H, W] -> [N, Out, (H-1)*stride - 2*pad + dil*(K-1) + outpad + 1, ...].
type ConvTranspose2d struct {
	Weight *Param // "weight" [In, Out/Groups, K, K], KindConvTranspose
	Bias   *Param // "bias" [Out], KindBias; nil without bias
	Opts   tensor.ConvTransposeOpts
}

// NewConvTranspose2d makes a ConvTranspose2d initialized as torch does by
// default (DefaultInit, whose fan_in for this layout is Out/Groups*K*K).
func NewConvTranspose2d(rng *rand.Rand, c ConvTranspose2dConfig) *ConvTranspose2d {
	g := max(c.Groups, 1)
	if c.In <= 0 || c.Out <= 0 || c.Kernel <= 0 || c.In%g != 0 || c.Out%g != 0 {
		panic(fmt.Sprintf("nn.NewConvTranspose2d: bad config %+v (channels must be positive and divisible by groups)", c))
	}
	l := &ConvTranspose2d{
		Weight: NewParam("weight", KindConvTranspose, tensor.Zeros(c.In, c.Out/g, c.Kernel, c.Kernel), true),
		Opts: tensor.ConvTransposeOpts{
			Stride:        [2]int{c.Stride, c.Stride},
			Padding:       [2]int{c.Padding, c.Padding},
			OutputPadding: [2]int{c.OutputPadding, c.OutputPadding},
			Dilation:      [2]int{c.Dilation, c.Dilation},
			Groups:        c.Groups,
		},
	}
	l.Weight.Groups = g
	if c.Bias {
		l.Bias = NewParam("bias", KindBias, tensor.Zeros(c.Out), true)
	}
	DefaultInit(rng, l.Weight, l.Bias)
	return l
}

// Forward applies the transposed convolution.
func (l *ConvTranspose2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.ConvTranspose2d(x, l.Weight.Value, paramValue(l.Bias), l.Opts)
}

// Params returns weight and, if present, bias.
func (l *ConvTranspose2d) Params() []*Param { return params(l.Weight, l.Bias) }

// Buffers is empty.
func (l *ConvTranspose2d) Buffers() []*Buffer { return nil }

// Train does nothing.
func (l *ConvTranspose2d) Train(bool) {}
