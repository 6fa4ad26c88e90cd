package tensor

import "fmt"

// ConvOpts are the hyper-parameters of Conv2d, as in torch.nn.functional.
// conv2d: zero Stride or Dilation entries mean 1, zero Groups means 1.
// Index 0 is the height axis, 1 the width axis.
type ConvOpts struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
}

// norm fills in the defaults.
func (o ConvOpts) norm() ConvOpts {
	for i := 0; i < 2; i++ {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// Conv2d is a 2-D cross-correlation, like torch.nn.functional.conv2d:
// x [N, Cin, H, W], w [Cout, Cin/Groups, KH, KW], b [Cout] or nil, giving
// [N, Cout, OH, OW] with OH = (H + 2*pad - dil*(KH-1) - 1)/stride + 1.
// Differentiable in x, w and b.
func Conv2d(x, w, b *Tensor, o ConvOpts) *Tensor {
	o = o.norm()
	if x.Dims() != 4 || w.Dims() != 4 {
		panic(fmt.Sprintf("tensor.Conv2d: want x [N,C,H,W] and weight [Cout, Cin/groups, kh, kw], got x %v, weight %v", x.shape, w.shape))
	}
	convSameBackend("Conv2d", x, w, b)
	g := convGeom("Conv2d", x.shape, w, b, o, w.shape[0])
	if g.OH <= 0 || g.OW <= 0 {
		panic(fmt.Sprintf("tensor.Conv2d: input %v with weight %v, stride %v, padding %v, dilation %v gives an empty output %dx%d",
			x.shape, w.shape, o.Stride, o.Padding, o.Dilation, g.OH, g.OW))
	}
	be := x.Backend()
	out := newOut(be, []int{g.N, g.K, g.OH, g.OW}) // the kernels overwrite their outputs
	var bb Storage
	if b != nil {
		bb = b.buf
	}
	be.Conv2d(g, out.buf, x.buf, w.buf, bb)
	return record("Conv2d", out, func(dy *Tensor) []*Tensor {
		grads := make([]*Tensor, 3)
		if x.requiresGrad {
			grads[0] = newOut(be, cloneInts(x.shape))
			be.Conv2dBackwardData(g, grads[0].buf, dy.buf, w.buf)
		}
		if w.requiresGrad {
			grads[1] = newOut(be, cloneInts(w.shape))
			be.Conv2dBackwardFilter(g, grads[1].buf, x.buf, dy.buf)
		}
		if b != nil && b.requiresGrad {
			grads[2] = newOn(be, cloneInts(b.shape))
			be.ChannelSum(grads[2].buf, dy.buf, g.N, g.K, g.OH*g.OW)
		}
		return grads
	}, x, w, b)
}

// convGeom checks the shapes shared by Conv2d and ConvTranspose2d and
// returns the geometry of the convolution from x (as its input) with weight
// w; cout is the number of output channels, which b must match. For Conv2d
// the output size comes from the usual formula.
func convGeom(op string, xs []int, w, b *Tensor, o ConvOpts, cout int) ConvGeom {
	for i := 0; i < 2; i++ {
		if o.Stride[i] < 1 || o.Dilation[i] < 1 || o.Padding[i] < 0 {
			panic(fmt.Sprintf("tensor.%s: stride %v, padding %v, dilation %v must be positive (padding non-negative)", op, o.Stride, o.Padding, o.Dilation))
		}
	}
	if o.Groups < 1 {
		panic(fmt.Sprintf("tensor.%s: groups %d < 1", op, o.Groups))
	}
	if b != nil && (b.Dims() != 1 || b.shape[0] != cout) {
		panic(fmt.Sprintf("tensor.%s: bias %v, want [%d] for weight %v", op, b.shape, cout, w.shape))
	}
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	if op == "Conv2d" {
		k := w.shape[0]
		if w.shape[1]*o.Groups != c || k%o.Groups != 0 || k == 0 {
			panic(fmt.Sprintf("tensor.Conv2d: x %v and weight %v do not fit groups=%d (want weight [Cout, %d/%d, kh, kw] with Cout divisible by groups)",
				xs, w.shape, o.Groups, c, o.Groups))
		}
		if w.shape[2] < 1 || w.shape[3] < 1 {
			panic(fmt.Sprintf("tensor.Conv2d: empty kernel in weight %v", w.shape))
		}
	}
	return ConvGeom{
		N: n, C: c, H: h, W: wd, K: w.shape[0], KH: w.shape[2], KW: w.shape[3],
		OH:      outSize(h, w.shape[2], o.Stride[0], o.Padding[0], o.Dilation[0]),
		OW:      outSize(wd, w.shape[3], o.Stride[1], o.Padding[1], o.Dilation[1]),
		StrideH: o.Stride[0], StrideW: o.Stride[1],
		PadH: o.Padding[0], PadW: o.Padding[1],
		DilH: o.Dilation[0], DilW: o.Dilation[1],
		Groups: o.Groups,
	}
}

// outSize is the convolution output length along one axis (may be <= 0 for
// inputs smaller than the dilated kernel).
func outSize(in, k, stride, pad, dil int) int {
	span := in + 2*pad - dil*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// convSameBackend panics unless every non-nil tensor lives on x's backend.
func convSameBackend(op string, x *Tensor, ts ...*Tensor) {
	for _, t := range ts {
		if t != nil && t.Backend() != x.Backend() {
			panic(fmt.Sprintf("tensor.%s: operands on different backends (%s, %s)", op, x.Backend().Name(), t.Backend().Name()))
		}
	}
}
