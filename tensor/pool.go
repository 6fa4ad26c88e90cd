package tensor

import "fmt"

// MaxPool2d is 2-D max pooling, like torch.nn.functional.max_pool2d with
// dilation 1 and floor rounding: x [N, C, H, W] to [N, C, OH, OW] with
// OH = (H + 2*padding - kernel)/stride + 1. Padding is -inf and may be at
// most half the kernel; a zero stride entry means 1 (as everywhere in this
// package; torch's default stride = kernel must be passed explicitly).
// The gradient goes to the first maximum of each window (row-major order),
// or to its last NaN when it has NaNs, as in PyTorch.
func MaxPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	for i := 0; i < 2; i++ {
		if stride[i] == 0 {
			stride[i] = 1
		}
	}
	if x.Dims() != 4 {
		panic(fmt.Sprintf("tensor.MaxPool2d: want x [N,C,H,W], got %v", x.shape))
	}
	for i := 0; i < 2; i++ {
		if kernel[i] < 1 || stride[i] < 1 || padding[i] < 0 || 2*padding[i] > kernel[i] {
			panic(fmt.Sprintf("tensor.MaxPool2d: kernel %v, stride %v, padding %v: want kernel, stride >= 1 and 0 <= padding <= kernel/2", kernel, stride, padding))
		}
	}
	g := PoolGeom{
		N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: kernel[0], KW: kernel[1], StrideH: stride[0], StrideW: stride[1], PadH: padding[0], PadW: padding[1],
	}
	if x.shape[2]+2*padding[0] < kernel[0] || x.shape[3]+2*padding[1] < kernel[1] {
		panic(fmt.Sprintf("tensor.MaxPool2d: input %v smaller than kernel %v with padding %v", x.shape, kernel, padding))
	}
	g.OH = (g.H+2*g.PadH-g.KH)/g.StrideH + 1
	g.OW = (g.W+2*g.PadW-g.KW)/g.StrideW + 1
	be := x.Backend()
	out := newOn(be, []int{g.N, g.C, g.OH, g.OW})
	be.MaxPool2d(g, out.buf, x.buf)
	return record("MaxPool2d", out, func(dy *Tensor) []*Tensor {
		dx := newOn(be, cloneInts(x.shape))
		be.MaxPool2dBackward(g, dx.buf, x.buf, dy.buf)
		return []*Tensor{dx}
	}, x)
}
