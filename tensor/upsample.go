package tensor

import "fmt"

// UpsampleNearest resizes the last two axes of x ([N, C, H, W], or any
// tensor of rank >= 2) to outH x outW by nearest neighbour, like
// torch.nn.functional.interpolate(x, size=(outH, outW), mode="nearest"):
// output pixel i reads input floor(i * in/out) (computed in float32 as torch
// does). The gradient sums the output gradients each input pixel fed.
func UpsampleNearest(x *Tensor, outH, outW int) *Tensor {
	if x.Dims() < 2 || outH < 1 || outW < 1 {
		panic(fmt.Sprintf("tensor.UpsampleNearest: input %v to %dx%d: want rank >= 2 and a positive size", x.shape, outH, outW))
	}
	r := x.Dims()
	h, w := x.shape[r-2], x.shape[r-1]
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("tensor.UpsampleNearest: empty spatial size in input %v", x.shape))
	}
	planes := Numel(x.shape[:r-2])
	shape := cloneInts(x.shape)
	shape[r-2], shape[r-1] = outH, outW
	be := x.Backend()
	out := newOn(be, shape)
	be.UpsampleNearest(out.buf, x.buf, planes, h, w, outH, outW)
	xs := x.shape // not x: the gradient does not read it
	return record("UpsampleNearest", out, func(dy *Tensor) []*Tensor {
		dx := newOn(be, cloneInts(xs))
		be.UpsampleNearestBackward(dx.buf, dy.buf, planes, h, w, outH, outW)
		return []*Tensor{dx}
	}, x)
}
