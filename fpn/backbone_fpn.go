package fpn

// Shapes: N images, Hi x Wi input (padded to a multiple of
// SizeDivisibility() by the detector), D = 256 channels.
//
//	x    [N, 3, Hi, Wi]
//	"0"  P2 [N, D, Hi/4, Wi/4]
//	"1"  P3 [N, D, Hi/8, Wi/8]
//	"2"  P4 [N, D, Hi/16, Wi/16]
//	"3"  P5 [N, D, Hi/32, Wi/32]
//	"pool" P6 [N, D, Hi/64, Wi/64]

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Body is what BackboneWithFPN needs of a body: a module returning feature
// maps finest first, and their shapes.
type Body interface {
	nn.Module
	Forward(x *tensor.Tensor) []*tensor.Tensor
	OutputShapes() []backbone.ShapeSpec
}

// BackboneWithFPN is a body with an FPN on top (torchvision's
// BackboneWithFPN): children "body" and "fpn".
type BackboneWithFPN struct {
	nn.Container
	Body Body
	FPN  *FPN

	shapes []backbone.ShapeSpec
}

// NewBackboneWithFPN puts an FPN (built from rng after the body) on top of
// every map the body returns.
func NewBackboneWithFPN(rng *rand.Rand, body Body, cfg Config) (*BackboneWithFPN, error) {
	in := body.OutputShapes()
	chans := make([]int, len(in))
	for i, s := range in {
		chans[i] = s.Channels
		if i > 0 && s.Stride != 2*in[i-1].Stride {
			return nil, fmt.Errorf("fpn: body levels %q (stride %d) and %q (stride %d) are not one octave apart", in[i-1].Name, in[i-1].Stride, s.Name, s.Stride)
		}
	}
	f, err := New(rng, chans, cfg)
	if err != nil {
		return nil, err
	}
	b := &BackboneWithFPN{}
	b.Body = nn.Register(&b.Container, "body", body)
	b.FPN = nn.Register(&b.Container, "fpn", f)
	for i, s := range in {
		b.shapes = append(b.shapes, backbone.ShapeSpec{Name: strconv.Itoa(i), Channels: f.OutChannels(), Stride: s.Stride})
	}
	if f.topBlock {
		b.shapes = append(b.shapes, backbone.ShapeSpec{Name: "pool", Channels: f.OutChannels(), Stride: 2 * in[len(in)-1].Stride})
	}
	return b, nil
}

// NewResNetFPN builds a ResNet body from bcfg (OutFeatures nil means
// res2..res5, the FPN default) and an FPN on it, drawing the body's
// weights from rng first: torchvision's resnet_fpn_backbone.
func NewResNetFPN(rng *rand.Rand, bcfg backbone.Config, cfg Config) (*BackboneWithFPN, error) {
	body, err := backbone.New(rng, bcfg)
	if err != nil {
		return nil, err
	}
	return NewBackboneWithFPN(rng, body, cfg)
}

// Forward returns the pyramid levels of images x [N, 3, Hi, Wi], finest
// first (OutputShapes).
func (b *BackboneWithFPN) Forward(x *tensor.Tensor) []*tensor.Tensor {
	return b.FPN.Forward(b.Body.Forward(x))
}

// OutputShapes names the outputs ("0".."3", "pool" for a ResNet body) with
// their channels and strides.
func (b *BackboneWithFPN) OutputShapes() []backbone.ShapeSpec {
	return append([]backbone.ShapeSpec(nil), b.shapes...)
}

// Names lists the output names in order.
func (b *BackboneWithFPN) Names() []string {
	out := make([]string, len(b.shapes))
	for i, s := range b.shapes {
		out[i] = s.Name
	}
	return out
}

// Strides lists the output strides in order (4, 8, 16, 32, 64).
func (b *BackboneWithFPN) Strides() []int {
	out := make([]int, len(b.shapes))
	for i, s := range b.shapes {
		out[i] = s.Stride
	}
	return out
}

// OutChannels is the width of every output (256).
func (b *BackboneWithFPN) OutChannels() int { return b.FPN.OutChannels() }

// SizeDivisibility is the stride of the coarsest body level (32 for
// res2..res5): inputs padded to a multiple of it give pyramid levels that
// halve exactly, so the top-down sums align. (P6 only needs its input's
// size halved with ceil, which max_pool2d with kernel 1 does.)
func (b *BackboneWithFPN) SizeDivisibility() int {
	in := b.Body.OutputShapes()
	return in[len(in)-1].Stride
}
