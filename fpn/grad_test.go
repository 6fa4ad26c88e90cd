package fpn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// End-to-end gradient check of a tiny ResNet-18-FPN (base width 4, GN with
// 2 groups, nothing frozen) on an odd-sized input: the gradients reaching
// the image and a few parameters at both ends of the network (stem norm,
// last block norm, FPN convs) agree with finite differences of the
// concatenated pyramid.
func TestTinyResNetFPNGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m, err := fpn.NewResNetFPN(rng, backbone.Config{Depth: 18, BaseWidth: 4, Norm: backbone.GN, GNGroups: 2}, fpn.Config{OutChannels: 4})
	if err != nil {
		t.Fatal(err)
	}
	ps := nn.ParamsByName(m)
	// Move norm and bias parameters off their constant init so their
	// gradients are generic.
	for _, p := range m.Params() {
		if p.Kind == nn.KindNorm || p.Kind == nn.KindBias {
			d := p.Value.Data()
			for i := range d {
				d[i] += float32(0.3 * (rng.Float64()*2 - 1))
			}
		}
	}
	x := tensortest.Rand(rng, true, 1, 3, 11, 13)
	inputs := []*tensor.Tensor{
		x,
		ps["body.bn1.weight"].Value,
		ps["body.layer4.1.bn2.bias"].Value,
		ps["fpn.inner_blocks.2.0.weight"].Value,
		ps["fpn.layer_blocks.0.0.bias"].Value,
	}
	f := func(in []*tensor.Tensor) *tensor.Tensor {
		outs := m.Forward(in[0])
		flat := make([]*tensor.Tensor, len(outs))
		for i, o := range outs {
			flat[i] = tensor.Reshape(o, -1)
		}
		return tensor.Concat(0, flat...)
	}
	// The network is piecewise smooth (ReLU, max pool): the step is small
	// enough that, for this seed, no central difference straddles a kink,
	// and large enough for float32 noise to stay well under the tolerance.
	if err := tensortest.GradCheck(f, inputs, 1e-3, 1e-2, 1e-2); err != nil {
		t.Error(err)
	}
}
