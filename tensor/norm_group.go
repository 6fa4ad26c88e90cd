package tensor

import "fmt"

// GroupNorm normalizes x ([N, C, ...]) over groups of C/groups consecutive
// channels of each sample, by the group's mean and biased variance, and
// applies the per-channel affine weight and bias ([C] each; nil means no
// affine), as torch.nn.GroupNorm does. C must be divisible by groups.
// Gradients flow to x, weight and bias.
func GroupNorm(x *Tensor, groups int, weight, bias *Tensor, eps float32) *Tensor {
	const op = "GroupNorm"
	n, c, hw := normDims(op, x, map[string]*Tensor{"weight": weight, "bias": bias})
	if groups <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("tensor.GroupNorm: %d channels (input shape %v) do not split into %d groups", c, x.shape, groups))
	}
	b := x.Backend()
	mean, invstd := b.Alloc(n*groups), b.Alloc(n*groups)
	out := newOn(b, cloneInts(x.shape))
	b.GroupNormForward(out.buf, x.buf, n, c, hw, groups, eps, storageOf(weight), storageOf(bias), mean, invstd)
	return record(op, out, func(g *Tensor) []*Tensor {
		dx, dw, db := normGrads(b, x, weight, bias)
		b.GroupNormBackward(storageOf(dx), storageOf(dw), storageOf(db), g.buf, x.buf, n, c, hw, groups,
			mean, invstd, storageOf(weight))
		return []*Tensor{dx, dw, db}
	}, x, weight, bias)
}
