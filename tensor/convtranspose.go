package tensor

import "fmt"

// ConvTransposeOpts are the hyper-parameters of ConvTranspose2d, as in
// torch.nn.functional.conv_transpose2d: zero Stride or Dilation entries mean
// 1, zero Groups means 1; OutputPadding adds rows and columns at the bottom
// and right and must be smaller than the stride or the dilation.
type ConvTransposeOpts struct {
	Stride, Padding, OutputPadding, Dilation [2]int
	Groups                                   int
}

// ConvTranspose2d is the transposed convolution (the gradient of Conv2d
// with respect to its input), like torch.nn.functional.conv_transpose2d:
// x [N, Cin, H, W], w [Cin, Cout/Groups, KH, KW], b [Cout] or nil, giving
// [N, Cout, OH, OW] with OH = (H-1)*stride - 2*pad + dil*(KH-1) +
// outputPadding + 1. Differentiable in x, w and b.
//
// It runs on the convolution kernels: with G the geometry of the Conv2d
// that maps [N, Cout, OH, OW] to [N, Cin, H, W] with the same weight, the
// forward pass is that conv's input gradient, the input gradient is that
// conv, and the weight gradient is its weight gradient with x as the output
// gradient.
func ConvTranspose2d(x, w, b *Tensor, o ConvTransposeOpts) *Tensor {
	co := ConvOpts{Stride: o.Stride, Padding: o.Padding, Dilation: o.Dilation, Groups: o.Groups}.norm()
	if x.Dims() != 4 || w.Dims() != 4 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: want x [N,C,H,W] and weight [Cin, Cout/groups, kh, kw], got x %v, weight %v", x.shape, w.shape))
	}
	if co.Groups < 1 || w.shape[0] != x.shape[1] || w.shape[0]%co.Groups != 0 || w.shape[1] < 1 || w.shape[2] < 1 || w.shape[3] < 1 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: x %v and weight %v do not fit groups=%d (want weight [%d, Cout/groups, kh, kw] with %d divisible by groups)",
			x.shape, w.shape, co.Groups, x.shape[1], x.shape[1]))
	}
	cout := w.shape[1] * co.Groups
	var oh, ow int
	for i := 0; i < 2; i++ {
		op := o.OutputPadding[i]
		if op < 0 || (op >= co.Stride[i] && op >= co.Dilation[i]) {
			panic(fmt.Sprintf("tensor.ConvTranspose2d: output padding %v must be smaller than stride %v or dilation %v", o.OutputPadding, co.Stride, co.Dilation))
		}
		in := x.shape[2+i]
		out := (in-1)*co.Stride[i] - 2*co.Padding[i] + co.Dilation[i]*(w.shape[2+i]-1) + op + 1
		if i == 0 {
			oh = out
		} else {
			ow = out
		}
	}
	if oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: input %v with weight %v, opts %+v gives an empty output %dx%d", x.shape, w.shape, o, oh, ow))
	}
	convSameBackend("ConvTranspose2d", x, w, b)
	// Geometry of the conv [N, Cout, oh, ow] -> [N, Cin, H, W].
	ys := []int{x.shape[0], cout, oh, ow}
	g := convGeom("ConvTranspose2d", ys, w, b, co, cout)
	g.OH, g.OW = x.shape[2], x.shape[3]
	be := x.Backend()
	out := newOn(be, ys)
	be.Conv2dBackwardData(g, out.buf, x.buf, w.buf)
	if b != nil {
		be.AddChannelBias(out.buf, b.buf, g.N, cout, oh*ow)
	}
	return record("ConvTranspose2d", out, func(dy *Tensor) []*Tensor {
		grads := make([]*Tensor, 3)
		if x.requiresGrad {
			grads[0] = newOn(be, cloneInts(x.shape))
			be.Conv2d(g, grads[0].buf, dy.buf, w.buf, nil)
		}
		if w.requiresGrad {
			grads[1] = newOn(be, cloneInts(w.shape))
			be.Conv2dBackwardFilter(g, grads[1].buf, dy.buf, x.buf)
		}
		if b != nil && b.requiresGrad {
			grads[2] = newOn(be, cloneInts(b.shape))
			be.ChannelSum(grads[2].buf, dy.buf, g.N, cout, oh*ow)
		}
		return grads
	}, x, w, b)
}
