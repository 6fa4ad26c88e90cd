package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestConv2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		name string
		x, w []int
		bias bool
		opts tensor.ConvOpts
	}{
		{"3x3 pad1", []int{2, 3, 5, 6}, []int{4, 3, 3, 3}, true, tensor.ConvOpts{Padding: [2]int{1, 1}}},
		{"stride2 pad1 odd", []int{1, 3, 7, 5}, []int{2, 3, 3, 3}, true, tensor.ConvOpts{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{"dilation2", []int{1, 2, 7, 8}, []int{3, 2, 3, 3}, false, tensor.ConvOpts{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}},
		{"groups2", []int{2, 4, 5, 5}, []int{6, 2, 3, 3}, true, tensor.ConvOpts{Padding: [2]int{1, 1}, Groups: 2}},
		{"1x1 no bias", []int{2, 5, 3, 4}, []int{3, 5, 1, 1}, false, tensor.ConvOpts{}},
		{"1x1 stride2", []int{1, 4, 5, 7}, []int{3, 4, 1, 1}, true, tensor.ConvOpts{Stride: [2]int{2, 2}}},
		{"mixed hw", []int{1, 2, 6, 9}, []int{2, 1, 2, 3}, true, tensor.ConvOpts{Stride: [2]int{1, 2}, Padding: [2]int{0, 1}, Dilation: [2]int{2, 1}, Groups: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := tensortest.Rand(rng, true, c.x...)
			w := tensortest.Rand(rng, true, c.w...)
			in := []*tensor.Tensor{x, w}
			if c.bias {
				in = append(in, tensortest.Rand(rng, true, c.w[0]))
			}
			f := func(in []*tensor.Tensor) *tensor.Tensor {
				var b *tensor.Tensor
				if len(in) == 3 {
					b = in[2]
				}
				return tensor.Conv2d(in[0], in[1], b, c.opts)
			}
			if err := tensortest.GradCheck(f, in, 1e-2, 1e-3, 1e-2); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestConvTranspose2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		name string
		x, w []int
		bias bool
		opts tensor.ConvTransposeOpts
	}{
		{"k2 s2", []int{1, 3, 3, 4}, []int{3, 2, 2, 2}, true, tensor.ConvTransposeOpts{Stride: [2]int{2, 2}}},
		{"k3 s2 p1 op1", []int{2, 2, 3, 3}, []int{2, 3, 3, 3}, true, tensor.ConvTransposeOpts{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}}},
		{"groups2 dil2", []int{1, 4, 3, 4}, []int{4, 1, 3, 3}, false, tensor.ConvTransposeOpts{Padding: [2]int{1, 1}, Dilation: [2]int{2, 2}, Groups: 2}},
		{"op>=stride via dilation", []int{1, 2, 4, 3}, []int{2, 2, 3, 2}, true, tensor.ConvTransposeOpts{Dilation: [2]int{3, 2}, OutputPadding: [2]int{2, 1}}},
		{"groups2 s2 op1", []int{1, 4, 3, 3}, []int{4, 3, 3, 3}, true, tensor.ConvTransposeOpts{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}, Groups: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := tensortest.Rand(rng, true, c.x...)
			w := tensortest.Rand(rng, true, c.w...)
			in := []*tensor.Tensor{x, w}
			if c.bias {
				in = append(in, tensortest.Rand(rng, true, c.w[1]*max(c.opts.Groups, 1)))
			}
			f := func(in []*tensor.Tensor) *tensor.Tensor {
				var b *tensor.Tensor
				if len(in) == 3 {
					b = in[2]
				}
				return tensor.ConvTranspose2d(in[0], in[1], b, c.opts)
			}
			if err := tensortest.GradCheck(f, in, 1e-2, 1e-3, 1e-2); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMaxPool2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cases := []struct {
		x                       []int
		kernel, stride, padding [2]int
	}{
		{[]int{2, 3, 7, 9}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}},
		{[]int{1, 2, 5, 6}, [2]int{1, 1}, [2]int{2, 2}, [2]int{0, 0}},
		{[]int{1, 2, 6, 5}, [2]int{2, 3}, [2]int{2, 1}, [2]int{1, 0}},
	}
	for _, c := range cases {
		// Distinct, well separated values keep finite differences away
		// from ties.
		x := tensortest.Rand(rng, true, c.x...)
		perm := rng.Perm(x.Numel())
		for i, p := range perm {
			x.Data()[i] = float32(p) * 0.1
		}
		f := func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.MaxPool2d(in[0], c.kernel, c.stride, c.padding)
		}
		if err := tensortest.GradCheck(f, []*tensor.Tensor{x}, 1e-2, 1e-3, 1e-2); err != nil {
			t.Errorf("%v k%v s%v p%v: %v", c.x, c.kernel, c.stride, c.padding, err)
		}
	}
}

func TestMaxPool2dTiesAndPadding(t *testing.T) {
	// All equal: the gradient goes to the first pixel of each window; the
	// -inf padding never wins even over negative values.
	x := tensor.Full(-3, 1, 1, 4, 4).SetRequiresGrad(true)
	y := tensor.MaxPool2d(x, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1})
	if got := y.Data(); len(got) != 4 || got[0] != -3 || got[3] != -3 {
		t.Fatalf("y = %v", got)
	}
	y.BackwardWith(tensor.Ones(1, 1, 2, 2))
	want := []float32{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for i, v := range x.Grad.Data() {
		if v != want[i] {
			t.Fatalf("dx = %v, want %v", x.Grad.Data(), want)
		}
	}
}

func TestUpsampleNearestGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, c := range []struct{ in, out [2]int }{{[2]int{3, 4}, [2]int{6, 8}}, {[2]int{5, 3}, [2]int{7, 11}}, {[2]int{6, 7}, [2]int{4, 3}}} {
		x := tensortest.Rand(rng, true, 2, 3, c.in[0], c.in[1])
		f := func(in []*tensor.Tensor) *tensor.Tensor { return tensor.UpsampleNearest(in[0], c.out[0], c.out[1]) }
		if err := tensortest.GradCheck(f, []*tensor.Tensor{x}, 1e-2, 1e-3, 1e-2); err != nil {
			t.Errorf("%v -> %v: %v", c.in, c.out, err)
		}
	}
	// x2 copies each pixel into a 2x2 block.
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
	y := tensor.UpsampleNearest(x, 4, 4).Data()
	want := []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("x2 = %v, want %v", y, want)
		}
	}
}

// expectPanic runs f and checks that it panics with a message containing
// every one of parts.
func expectPanic(t *testing.T, name string, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", name)
			return
		}
		msg := fmt.Sprint(r)
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Errorf("%s: panic %q lacks %q", name, msg, p)
			}
		}
	}()
	f()
}

func TestConvShapeErrors(t *testing.T) {
	x := tensor.Zeros(1, 3, 8, 8)
	expectPanic(t, "cin", func() { tensor.Conv2d(x, tensor.Zeros(4, 2, 3, 3), nil, tensor.ConvOpts{}) }, "Conv2d", "[1 3 8 8]", "[4 2 3 3]")
	expectPanic(t, "groups", func() { tensor.Conv2d(x, tensor.Zeros(4, 1, 3, 3), nil, tensor.ConvOpts{Groups: 3}) }, "Conv2d", "groups=3")
	expectPanic(t, "bias", func() { tensor.Conv2d(x, tensor.Zeros(4, 3, 3, 3), tensor.Zeros(3), tensor.ConvOpts{}) }, "Conv2d", "bias [3]")
	expectPanic(t, "rank", func() { tensor.Conv2d(tensor.Zeros(3, 8, 8), tensor.Zeros(4, 3, 3, 3), nil, tensor.ConvOpts{}) }, "Conv2d", "[3 8 8]")
	expectPanic(t, "too small", func() { tensor.Conv2d(x, tensor.Zeros(4, 3, 9, 9), nil, tensor.ConvOpts{}) }, "Conv2d", "empty output")
	expectPanic(t, "transpose cin", func() {
		tensor.ConvTranspose2d(x, tensor.Zeros(4, 2, 3, 3), nil, tensor.ConvTransposeOpts{})
	}, "ConvTranspose2d", "[1 3 8 8]", "[4 2 3 3]")
	expectPanic(t, "output padding", func() {
		tensor.ConvTranspose2d(x, tensor.Zeros(3, 2, 3, 3), nil, tensor.ConvTransposeOpts{Stride: [2]int{2, 2}, OutputPadding: [2]int{2, 0}})
	}, "ConvTranspose2d", "output padding")
	expectPanic(t, "pool padding", func() { tensor.MaxPool2d(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{2, 2}) }, "MaxPool2d", "padding")
	expectPanic(t, "pool rank", func() { tensor.MaxPool2d(tensor.Zeros(8, 8), [2]int{2, 2}, [2]int{2, 2}, [2]int{}) }, "MaxPool2d", "[8 8]")
	expectPanic(t, "upsample size", func() { tensor.UpsampleNearest(x, 0, 4) }, "UpsampleNearest", "0x4")
}
