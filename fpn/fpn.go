package fpn

// Shapes: N images, L input levels, level l has Cl channels and an
// Hl x Wl grid (each about half the previous one), D output channels.
//
//	inputs   [N, Cl, Hl, Wl], l = 0..L-1 (finest first: res2..res5)
//	lateral  inner_blocks.l (1x1 conv + bias) -> [N, D, Hl, Wl]
//	top-down t(L-1) = lateral(L-1); t(l) = lateral(l) + nearest(t(l+1) to Hl x Wl)
//	outputs  layer_blocks.l (3x3 conv + bias, padding 1) on t(l) -> [N, D, Hl, Wl]
//	pool     max_pool2d(output(L-1), kernel 1, stride 2) -> [N, D, ceil(H/2), ceil(W/2)]

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Config selects an FPN.
type Config struct {
	// OutChannels is the width of every output level (default 256).
	OutChannels int
	// NoTopBlock drops the extra "pool" level (LastLevelMaxPool, on by
	// default as in every R-CNN FPN).
	NoTopBlock bool
}

// FPN is the pyramid on top of a body's feature maps. Its children are
// torchvision's: "inner_blocks.l.0" (lateral convs) and "layer_blocks.l.0"
// (output convs), each inside a one-element Sequential as torchvision's
// Conv2dNormActivation is.
type FPN struct {
	nn.Container
	InnerBlocks, LayerBlocks *nn.List
	inner, layer             []*nn.Conv2d
	outChannels              int
	topBlock                 bool
}

// New builds an FPN over inputs of inChannels channels (finest level
// first), with every conv initialized as torchvision's FPN does
// (kaiming_uniform with a = 1, bias 0, which is also detectron2's
// c2_xavier_fill) from rng: lateral convs first, then output convs.
func New(rng *rand.Rand, inChannels []int, cfg Config) (*FPN, error) {
	if cfg.OutChannels == 0 {
		cfg.OutChannels = 256
	}
	if cfg.OutChannels < 0 {
		return nil, fmt.Errorf("fpn: %d output channels", cfg.OutChannels)
	}
	if len(inChannels) == 0 {
		return nil, fmt.Errorf("fpn: no input levels")
	}
	f := &FPN{outChannels: cfg.OutChannels, topBlock: !cfg.NoTopBlock}
	var inner, layer []nn.Module
	for l, c := range inChannels {
		if c <= 0 {
			return nil, fmt.Errorf("fpn: input level %d has %d channels", l, c)
		}
		conv := newConv(rng, c, cfg.OutChannels, 1)
		f.inner = append(f.inner, conv)
		inner = append(inner, nn.NewSequential(conv))
	}
	for range inChannels {
		conv := newConv(rng, cfg.OutChannels, cfg.OutChannels, 3)
		f.layer = append(f.layer, conv)
		layer = append(layer, nn.NewSequential(conv))
	}
	f.InnerBlocks = nn.Register(&f.Container, "inner_blocks", nn.NewList(inner...))
	f.LayerBlocks = nn.Register(&f.Container, "layer_blocks", nn.NewList(layer...))
	return f, nil
}

// newConv is a k x k conv with bias, stride 1 and same padding,
// initialized by C2XavierFill.
func newConv(rng *rand.Rand, in, out, k int) *nn.Conv2d {
	c := &nn.Conv2d{
		Weight: nn.NewParam("weight", nn.KindConv, tensor.Zeros(out, in, k, k), true),
		Bias:   nn.NewParam("bias", nn.KindBias, tensor.Zeros(out), true),
		Opts:   tensor.ConvOpts{Padding: [2]int{k / 2, k / 2}},
	}
	c.Weight.Groups = 1
	nn.C2XavierFill(rng, c.Weight, c.Bias)
	return c
}

// OutChannels is the width of every output.
func (f *FPN) OutChannels() int { return f.outChannels }

// NumOutputs is the number of maps Forward returns: one per input level,
// plus the pool level unless NoTopBlock.
func (f *FPN) NumOutputs() int {
	if f.topBlock {
		return len(f.inner) + 1
	}
	return len(f.inner)
}

// Forward computes the pyramid from the body's maps xs (finest first) and
// returns P(l) for every input level, then the pool level.
func (f *FPN) Forward(xs []*tensor.Tensor) []*tensor.Tensor {
	if len(xs) != len(f.inner) {
		panic(fmt.Sprintf("fpn.FPN.Forward: %d inputs for an FPN over %d levels", len(xs), len(f.inner)))
	}
	L := len(xs)
	outs := make([]*tensor.Tensor, L, L+1)
	last := f.inner[L-1].Forward(xs[L-1])
	outs[L-1] = f.layer[L-1].Forward(last)
	for l := L - 2; l >= 0; l-- {
		lateral := f.inner[l].Forward(xs[l])
		topDown := tensor.UpsampleNearest(last, lateral.Dim(2), lateral.Dim(3))
		last = tensor.Add(lateral, topDown)
		outs[l] = f.layer[l].Forward(last)
	}
	if f.topBlock {
		outs = append(outs, tensor.MaxPool2d(outs[L-1], [2]int{1, 1}, [2]int{2, 2}, [2]int{}))
	}
	return outs
}
