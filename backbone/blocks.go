package backbone

// Residual blocks. Shapes: x [N, Cin, Hi, Wi] -> [N, Cout, Hi/s, Wi/s] with
// s the block's stride (1 or 2).

import (
	"math/rand/v2"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// blockSpec is what a stage tells each of its blocks.
type blockSpec struct {
	in, planes  int // input channels; base channels of the block
	stride      int
	groups      int // bottleneck 3x3 conv groups (ResNeXt)
	width       int // bottleneck inner width
	strideIn1x1 bool
	norm        Norm
	gnGroups    int
	frozen      bool
	zeroInit    bool // zero_init_residual
}

// newConv makes a bias-free square conv initialized as torchvision's ResNet
// does: kaiming_normal with fan_out and the ReLU gain.
func newConv(rng *rand.Rand, in, out, k, stride, pad, groups int) *nn.Conv2d {
	c := &nn.Conv2d{
		Weight: nn.NewParam("weight", nn.KindConv, tensor.Zeros(out, in/groups, k, k), true),
		Opts: tensor.ConvOpts{
			Stride: [2]int{stride, stride}, Padding: [2]int{pad, pad}, Groups: groups,
		},
	}
	c.Weight.Groups = groups
	nn.KaimingNormal(rng, c.Weight.Value, 0, nn.FanOut, nn.GainReLU)
	return c
}

// newDownsample is the projection shortcut ("downsample.0" conv 1x1 with
// the block's stride, "downsample.1" norm), or nil when the shortcut is the
// identity.
func newDownsample(rng *rand.Rand, s blockSpec, out int) *nn.Sequential {
	if s.stride == 1 && s.in == out {
		return nil
	}
	return nn.NewSequential(newConv(rng, s.in, out, 1, s.stride, 0, 1), newNorm(s.norm, out, s.gnGroups, s.frozen))
}

// BasicBlock is ResNet-18/34's block: two 3x3 convs (the first with the
// stride), expansion 1.
type BasicBlock struct {
	nn.Container
	Conv1, Conv2 *nn.Conv2d
	BN1, BN2     nn.Layer
	Downsample   *nn.Sequential // nil: identity shortcut
}

func newBasicBlock(rng *rand.Rand, s blockSpec) *BasicBlock {
	b := &BasicBlock{}
	b.Conv1 = nn.Register(&b.Container, "conv1", newConv(rng, s.in, s.planes, 3, s.stride, 1, 1))
	b.BN1 = nn.Register(&b.Container, "bn1", newNorm(s.norm, s.planes, s.gnGroups, s.frozen))
	b.Conv2 = nn.Register(&b.Container, "conv2", newConv(rng, s.planes, s.planes, 3, 1, 1, 1))
	b.BN2 = nn.Register(&b.Container, "bn2", newNorm(s.norm, s.planes, s.gnGroups, s.frozen))
	if d := newDownsample(rng, s, s.planes); d != nil {
		b.Downsample = nn.Register(&b.Container, "downsample", d)
	}
	if s.zeroInit {
		zeroNormWeight(b.BN2)
	}
	return b
}

// Forward computes relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
func (b *BasicBlock) Forward(x *tensor.Tensor) *tensor.Tensor {
	out := tensor.Relu(b.BN1.Forward(b.Conv1.Forward(x)))
	out = b.BN2.Forward(b.Conv2.Forward(out))
	return tensor.Relu(tensor.Add(out, shortcut(b.Downsample, x)))
}

// Bottleneck is ResNet-50/101/152's block: 1x1 reduce, 3x3 (grouped for
// ResNeXt, with the stride unless strideIn1x1), 1x1 expand by 4.
type Bottleneck struct {
	nn.Container
	Conv1, Conv2, Conv3 *nn.Conv2d
	BN1, BN2, BN3       nn.Layer
	Downsample          *nn.Sequential // nil: identity shortcut
}

func newBottleneck(rng *rand.Rand, s blockSpec) *Bottleneck {
	b := &Bottleneck{}
	s1, s3 := 1, s.stride
	if s.strideIn1x1 {
		s1, s3 = s.stride, 1
	}
	out := 4 * s.planes
	b.Conv1 = nn.Register(&b.Container, "conv1", newConv(rng, s.in, s.width, 1, s1, 0, 1))
	b.BN1 = nn.Register(&b.Container, "bn1", newNorm(s.norm, s.width, s.gnGroups, s.frozen))
	b.Conv2 = nn.Register(&b.Container, "conv2", newConv(rng, s.width, s.width, 3, s3, 1, s.groups))
	b.BN2 = nn.Register(&b.Container, "bn2", newNorm(s.norm, s.width, s.gnGroups, s.frozen))
	b.Conv3 = nn.Register(&b.Container, "conv3", newConv(rng, s.width, out, 1, 1, 0, 1))
	b.BN3 = nn.Register(&b.Container, "bn3", newNorm(s.norm, out, s.gnGroups, s.frozen))
	if d := newDownsample(rng, s, out); d != nil {
		b.Downsample = nn.Register(&b.Container, "downsample", d)
	}
	if s.zeroInit {
		zeroNormWeight(b.BN3)
	}
	return b
}

// Forward computes relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x))))))))
// + shortcut(x)).
func (b *Bottleneck) Forward(x *tensor.Tensor) *tensor.Tensor {
	out := tensor.Relu(b.BN1.Forward(b.Conv1.Forward(x)))
	out = tensor.Relu(b.BN2.Forward(b.Conv2.Forward(out)))
	out = b.BN3.Forward(b.Conv3.Forward(out))
	return tensor.Relu(tensor.Add(out, shortcut(b.Downsample, x)))
}

func shortcut(d *nn.Sequential, x *tensor.Tensor) *tensor.Tensor {
	if d == nil {
		return x
	}
	return d.Forward(x)
}
