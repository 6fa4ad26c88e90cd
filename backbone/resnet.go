package backbone

// Shapes: N images, C channels, Hi x Wi input size.
//
//	x     [N, 3, Hi, Wi]
//	stem  [N, W0, Hi/4, Wi/4]     conv1 7x7 s2 + norm + relu + maxpool 3x3 s2
//	res2  [N, E*W0, Hi/4, Wi/4]   layer1 (W0 = BaseWidth = 64, E = 1 basic / 4 bottleneck)
//	res3  [N, 2*E*W0, Hi/8, Wi/8]     layer2
//	res4  [N, 4*E*W0, Hi/16, Wi/16]   layer3
//	res5  [N, 8*E*W0, Hi/32, Wi/32]   layer4
//
// Sizes divide with torch's conv arithmetic (floor((H+2p-k)/s)+1 per
// strided layer), so odd sizes work; detectors pad inputs to a multiple of
// 32 so that every level is exact.

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// FeatureNames are the names of the maps a ResNet can return, in network
// order; torchvision's modules layer1..layer4 produce res2..res5.
var FeatureNames = []string{"stem", "res2", "res3", "res4", "res5"}

// featureStrides are the output strides of FeatureNames.
var featureStrides = []int{4, 4, 8, 16, 32}

// ShapeSpec describes one output feature map: its name, channels and
// stride relative to the input.
type ShapeSpec struct {
	Name     string
	Channels int
	Stride   int
}

// Config selects a ResNet. The zero value of each optional field means the
// default given in its comment.
type Config struct {
	// Depth is 18, 34 (basic blocks), 50, 101 or 152 (bottlenecks).
	Depth int
	// Groups and WidthPerGroup make a ResNeXt (32 and 4 for 32x4d; default
	// 1 and 64, a plain ResNet). Bottleneck depths only.
	Groups, WidthPerGroup int
	// Norm is the normalization after every conv (default FrozenBN).
	Norm Norm
	// GNGroups is the number of groups of GN (default 32).
	GNGroups int
	// FreezeAt freezes the stem (>= 1) and the stages res2.. up to
	// res<FreezeAt> (detectron2's FREEZE_AT): their parameters are not
	// trainable and their BN layers keep their running statistics. 0
	// freezes nothing; presets use 2.
	FreezeAt int
	// OutFeatures names the maps Forward returns (among FeatureNames); nil
	// means res2..res5. They come back in network order. Stages after the
	// last one named are not built.
	OutFeatures []string
	// ZeroInitResidual initializes the last norm scale of every block to 0
	// (torchvision's zero_init_residual).
	ZeroInitResidual bool
	// StrideInOneByOne puts a bottleneck's stride on its first 1x1 conv, as
	// in the original ResNet and MSRA's weights (detectron2's
	// STRIDE_IN_1X1); the default puts it on the 3x3 conv (ResNet v1.5,
	// torchvision's weights).
	StrideInOneByOne bool
	// BaseWidth is the stem's output channels and res2's base width
	// (default 64); tests shrink it.
	BaseWidth int
}

// Standard configurations, with FrozenBN and FreezeAt 2 (detectron2's and
// torchvision's R-CNN defaults for ImageNet-initialized bodies).

// ResNet18 is ResNet-18 (basic blocks 2-2-2-2).
func ResNet18() Config { return Config{Depth: 18, FreezeAt: 2} }

// ResNet34 is ResNet-34 (basic blocks 3-4-6-3).
func ResNet34() Config { return Config{Depth: 34, FreezeAt: 2} }

// ResNet50 is ResNet-50 (bottlenecks 3-4-6-3).
func ResNet50() Config { return Config{Depth: 50, FreezeAt: 2} }

// ResNet101 is ResNet-101 (bottlenecks 3-4-23-3).
func ResNet101() Config { return Config{Depth: 101, FreezeAt: 2} }

// ResNet152 is ResNet-152 (bottlenecks 3-8-36-3).
func ResNet152() Config { return Config{Depth: 152, FreezeAt: 2} }

// ResNeXt50_32x4d is ResNeXt-50 with 32 groups of width 4.
func ResNeXt50_32x4d() Config { return Config{Depth: 50, Groups: 32, WidthPerGroup: 4, FreezeAt: 2} }

// ResNeXt101_32x8d is ResNeXt-101 with 32 groups of width 8.
func ResNeXt101_32x8d() Config { return Config{Depth: 101, Groups: 32, WidthPerGroup: 8, FreezeAt: 2} }

// stageBlocks is the number of blocks per stage for each depth.
var stageBlocks = map[int][4]int{
	18: {2, 2, 2, 2}, 34: {3, 4, 6, 3},
	50: {3, 4, 6, 3}, 101: {3, 4, 23, 3}, 152: {3, 8, 36, 3},
}

// withDefaults fills the zero-valued optional fields.
func (c Config) withDefaults() Config {
	if c.Groups == 0 {
		c.Groups = 1
	}
	if c.WidthPerGroup == 0 {
		c.WidthPerGroup = 64
	}
	if c.GNGroups == 0 {
		c.GNGroups = 32
	}
	if c.BaseWidth == 0 {
		c.BaseWidth = 64
	}
	if c.OutFeatures == nil {
		c.OutFeatures = []string{"res2", "res3", "res4", "res5"}
	}
	return c
}

func (c Config) bottleneck() bool { return c.Depth >= 50 }

// validate reports the first invalid setting of a defaulted config.
func (c Config) validate() error {
	if _, ok := stageBlocks[c.Depth]; !ok {
		return fmt.Errorf("backbone: ResNet depth %d not supported (want 18, 34, 50, 101 or 152)", c.Depth)
	}
	if !c.bottleneck() && (c.Groups != 1 || c.WidthPerGroup != 64) {
		return fmt.Errorf("backbone: ResNet-%d has basic blocks, which support only groups 1 and width per group 64 (got %d, %d)", c.Depth, c.Groups, c.WidthPerGroup)
	}
	if c.Groups < 1 || c.WidthPerGroup < 1 || c.BaseWidth < 1 || c.GNGroups < 1 {
		return fmt.Errorf("backbone: groups %d, width per group %d, base width %d and GN groups %d must be positive", c.Groups, c.WidthPerGroup, c.BaseWidth, c.GNGroups)
	}
	if c.bottleneck() && c.width(0) < c.Groups {
		return fmt.Errorf("backbone: bottleneck width %d*%d/64*%d rounds to zero; raise the base width or the width per group", c.BaseWidth, c.WidthPerGroup, c.Groups)
	}
	if c.Norm != FrozenBN && c.Norm != BN && c.Norm != GN {
		return fmt.Errorf("backbone: unknown norm %v", c.Norm)
	}
	if c.FreezeAt < 0 || c.FreezeAt > 5 {
		return fmt.Errorf("backbone: freeze_at %d outside [0, 5]", c.FreezeAt)
	}
	if len(c.OutFeatures) == 0 {
		return fmt.Errorf("backbone: no output features requested")
	}
	for i, n := range c.OutFeatures {
		if !slices.Contains(FeatureNames, n) {
			return fmt.Errorf("backbone: unknown output feature %q (want among %v)", n, FeatureNames)
		}
		if slices.Contains(c.OutFeatures[:i], n) {
			return fmt.Errorf("backbone: output feature %q requested twice", n)
		}
	}
	if c.Norm == GN {
		for _, ch := range c.normChannels() {
			if ch%c.GNGroups != 0 {
				return fmt.Errorf("backbone: GN with %d groups cannot normalize %d channels", c.GNGroups, ch)
			}
		}
	}
	return nil
}

// planes is the base width of stage i (0 = res2); out the stage's output
// channels; width a bottleneck's inner width (torchvision's formula).
func (c Config) planes(i int) int { return c.BaseWidth << i }

func (c Config) stageOut(i int) int {
	if c.bottleneck() {
		return 4 * c.planes(i)
	}
	return c.planes(i)
}

func (c Config) width(i int) int {
	return c.planes(i) * c.WidthPerGroup / 64 * c.Groups
}

// normChannels lists the channel counts of all norm layers.
func (c Config) normChannels() []int {
	out := []int{c.BaseWidth}
	for i := 0; i < 4; i++ {
		out = append(out, c.stageOut(i))
		if c.bottleneck() {
			out = append(out, c.width(i))
		}
	}
	return out
}

// ResNet is the detector body: the stem and the stages up to the last
// requested output. See the package comment for its parameter names.
type ResNet struct {
	nn.Container
	Conv1  *nn.Conv2d
	BN1    nn.Layer
	Stages []*nn.Sequential // layer1, layer2, ... (only those built)

	cfg  Config
	want [5]bool // per FeatureNames entry
	out  []ShapeSpec
}

// New builds a ResNet from cfg, initialized as torchvision's ResNet (convs
// kaiming_normal with fan_out and the ReLU gain, norm scales 1 and shifts
// 0; ZeroInitResidual as configured) with values drawn from rng. It returns
// an error for an invalid config.
func New(rng *rand.Rand, cfg Config) (*ResNet, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	r := &ResNet{cfg: c}
	last := 0
	for i, n := range FeatureNames {
		if slices.Contains(c.OutFeatures, n) {
			r.want[i] = true
			last = i
		}
	}

	frozen := c.FreezeAt >= 1
	r.Conv1 = nn.Register(&r.Container, "conv1", newConv(rng, 3, c.BaseWidth, 7, 2, 3, 1))
	r.BN1 = nn.Register(&r.Container, "bn1", newNorm(c.Norm, c.BaseWidth, c.GNGroups, frozen))
	if frozen {
		freeze(r.Conv1, r.BN1)
	}
	in := c.BaseWidth
	for i := 0; i+1 <= last; i++ {
		frozen := c.FreezeAt >= i+2
		blocks := make([]nn.Layer, stageBlocks[c.Depth][i])
		for j := range blocks {
			s := blockSpec{
				in: in, planes: c.planes(i), stride: 1, groups: c.Groups, width: c.width(i),
				strideIn1x1: c.StrideInOneByOne, norm: c.Norm, gnGroups: c.GNGroups,
				frozen: frozen, zeroInit: c.ZeroInitResidual,
			}
			if j == 0 && i > 0 {
				s.stride = 2
			}
			if c.bottleneck() {
				blocks[j] = newBottleneck(rng, s)
			} else {
				blocks[j] = newBasicBlock(rng, s)
			}
			in = c.stageOut(i)
		}
		st := nn.Register(&r.Container, fmt.Sprintf("layer%d", i+1), nn.NewSequential(blocks...))
		if frozen {
			freeze(st)
		}
		r.Stages = append(r.Stages, st)
	}
	for i, n := range FeatureNames {
		if r.want[i] {
			ch := c.BaseWidth
			if i > 0 {
				ch = c.stageOut(i - 1)
			}
			r.out = append(r.out, ShapeSpec{Name: n, Channels: ch, Stride: featureStrides[i]})
		}
	}
	return r, nil
}

// freeze marks every parameter of ms as not trainable.
func freeze(ms ...nn.Module) {
	for _, m := range ms {
		for _, p := range m.Params() {
			p.SetTrainable(false)
		}
	}
}

// Config returns the configuration with defaults filled in.
func (r *ResNet) Config() Config { return r.cfg }

// OutputShapes describes the maps Forward returns, in order.
func (r *ResNet) OutputShapes() []ShapeSpec { return slices.Clone(r.out) }

// SizeDivisibility is the largest output stride: inputs whose sides are
// multiples of it give exact maps at every level.
func (r *ResNet) SizeDivisibility() int { return r.out[len(r.out)-1].Stride }

// Forward runs x [N, 3, Hi, Wi] through the body and returns the requested
// maps in network order (OutputShapes).
func (r *ResNet) Forward(x *tensor.Tensor) []*tensor.Tensor {
	if x.Dims() != 4 || x.Dim(1) != 3 {
		panic(fmt.Sprintf("backbone.ResNet.Forward: want images [N,3,H,W], got %v", x.Shape()))
	}
	outs := make([]*tensor.Tensor, 0, len(r.out))
	x = tensor.Relu(r.BN1.Forward(r.Conv1.Forward(x)))
	x = tensor.MaxPool2d(x, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1})
	if r.want[0] {
		outs = append(outs, x)
	}
	for i, st := range r.Stages {
		x = st.Forward(x)
		if r.want[i+1] {
			outs = append(outs, x)
		}
	}
	return outs
}

// SetNormEps sets eps of every norm layer of the body. torchvision's COCO
// Faster R-CNN weights expect eps 0 in their FrozenBatchNorm2d layers
// (torchvision's overwrite_eps); the default is 1e-5.
func (r *ResNet) SetNormEps(eps float32) {
	walk(r, func(m nn.Module) {
		switch n := m.(type) {
		case *nn.FrozenBatchNorm2d:
			n.Eps = eps
		case *nn.BatchNorm2d:
			n.Eps = eps
		case evalBatchNorm:
			n.Eps = eps
		case *nn.GroupNorm:
			n.Eps = eps
		}
	})
}

// walk calls f on m and every module below it, parents first.
func walk(m nn.Module, f func(nn.Module)) {
	f(m)
	if c, ok := m.(interface {
		ChildNames() []string
		Child(string) nn.Module
	}); ok {
		for _, n := range c.ChildNames() {
			walk(c.Child(n), f)
		}
	}
}
