package main

import (
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// bottleneck is a ResNet-50 bottleneck block with identity shortcut and
// training-mode batch norm:
//
//	relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x))))))) + x)
type bottleneck struct {
	w1, w2, w3             *tensor.Tensor
	g1, b1, g2, b2, g3, b3 *tensor.Tensor
	stats                  [3][2]*tensor.Tensor // running mean and variance
}

func newBottleneck(rng *rand.Rand, cin, mid int) *bottleneck {
	p := &bottleneck{
		w1: randn(rng, true, mid, cin, 1, 1),
		w2: randn(rng, true, mid, mid, 3, 3),
		w3: randn(rng, true, cin, mid, 1, 1),
		g1: tensor.Ones(mid).SetRequiresGrad(true), b1: tensor.Zeros(mid).SetRequiresGrad(true),
		g2: tensor.Ones(mid).SetRequiresGrad(true), b2: tensor.Zeros(mid).SetRequiresGrad(true),
		g3: tensor.Ones(cin).SetRequiresGrad(true), b3: tensor.Zeros(cin).SetRequiresGrad(true),
	}
	for i, c := range []int{mid, mid, cin} {
		p.stats[i] = [2]*tensor.Tensor{tensor.Zeros(c), tensor.Ones(c)}
	}
	return p
}

func (p *bottleneck) params() []*tensor.Tensor {
	return []*tensor.Tensor{p.w1, p.w2, p.w3, p.g1, p.b1, p.g2, p.b2, p.g3, p.b3}
}

func (p *bottleneck) forward(x *tensor.Tensor) *tensor.Tensor {
	bn := func(h, g, b *tensor.Tensor, i int) *tensor.Tensor {
		return tensor.BatchNorm2d(h, g, b, p.stats[i][0], p.stats[i][1], true, 0.1, 1e-5)
	}
	h := tensor.Relu(bn(tensor.Conv2d(x, p.w1, nil, tensor.ConvOpts{}), p.g1, p.b1, 0))
	h = tensor.Relu(bn(tensor.Conv2d(h, p.w2, nil, tensor.ConvOpts{Padding: [2]int{1, 1}}), p.g2, p.b2, 1))
	h = bn(tensor.Conv2d(h, p.w3, nil, tensor.ConvOpts{}), p.g3, p.b3, 2)
	return tensor.Relu(tensor.Add(h, x))
}

// randn returns a tensor of standard normal values (like torch.randn),
// filled in place so that making it leaves no garbage behind.
func randn(rng *rand.Rand, grad bool, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	d := t.Data()
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return t.SetRequiresGrad(grad)
}
