package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// Conv2dConfig describes a square-kernel Conv2d as torch.nn.Conv2d's
// arguments do. Zero Stride, Dilation and Groups mean 1.
type Conv2dConfig struct {
	In, Out                           int
	Kernel, Stride, Padding, Dilation int
	Groups                            int
	Bias                              bool
}

// Conv2d is torch.nn.Conv2d: x [N, In, H, W] -> [N, Out, OH, OW].
type Conv2d struct {
	Weight *Param // "weight" [Out, In/Groups, K, K], KindConv
	Bias   *Param // "bias" [Out], KindBias; nil without bias
	Opts   tensor.ConvOpts
}

// NewConv2d makes a Conv2d initialized as torch does by default
// (DefaultInit); callers re-initialize as their model requires.
func NewConv2d(rng *rand.Rand, c Conv2dConfig) *Conv2d {
	g := max(c.Groups, 1)
	if c.In <= 0 || c.Out <= 0 || c.Kernel <= 0 || c.In%g != 0 || c.Out%g != 0 {
		panic(fmt.Sprintf("nn.NewConv2d: bad config %+v (channels must be positive and divisible by groups)", c))
	}
	l := &Conv2d{
		Weight: NewParam("weight", KindConv, tensor.Zeros(c.Out, c.In/g, c.Kernel, c.Kernel), true),
		Opts: tensor.ConvOpts{
			Stride:   [2]int{c.Stride, c.Stride},
			Padding:  [2]int{c.Padding, c.Padding},
			Dilation: [2]int{c.Dilation, c.Dilation},
			Groups:   c.Groups,
		},
	}
	l.Weight.Groups = g
	if c.Bias {
		l.Bias = NewParam("bias", KindBias, tensor.Zeros(c.Out), true)
	}
	DefaultInit(rng, l.Weight, l.Bias)
	return l
}

// Forward applies the convolution.
func (l *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv2d(x, l.Weight.Value, paramValue(l.Bias), l.Opts)
}

// Params returns weight and, if present, bias.
func (l *Conv2d) Params() []*Param { return params(l.Weight, l.Bias) }

// Buffers is empty.
func (l *Conv2d) Buffers() []*Buffer { return nil }

// Train does nothing.
func (l *Conv2d) Train(bool) {}

// paramValue is p's tensor, or nil for a nil parameter.
func paramValue(p *Param) *tensor.Tensor {
	if p == nil {
		return nil
	}
	return p.Value
}

// params lists the non-nil parameters.
func params(ps ...*Param) []*Param {
	out := make([]*Param, 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}
