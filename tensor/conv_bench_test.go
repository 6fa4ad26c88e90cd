package tensor_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/cpu"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// Benchmarks of the conv workloads bench/engine compares with PyTorch:
// one 3x3 conv 64->64 on 1x64x128x128 and a ResNet-50 bottleneck block on
// 1x256x56x56, forward + backward (gradients of the input and every
// parameter, as loss = mean(y)). Run with GCDET_BLAS=off for the Go GEMM.
//
//	go test ./tensor -run X -bench 'Conv3x3|Bottleneck' -benchtime 20x

// Conv3x3Step runs one forward+backward step of the 3x3 benchmark conv.
func conv3x3Step(x, w, dy *tensor.Tensor) {
	x.Grad, w.Grad = nil, nil
	y := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: [2]int{1, 1}})
	y.BackwardWith(dy)
}

func BenchmarkConv3x3FwdBwd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const C, H, W = 64, 128, 128
	x := tensortest.Rand(rng, true, 1, C, H, W)
	w := tensortest.Rand(rng, true, C, C, 3, 3)
	dy := tensor.Full(1.0/(C*H*W), 1, C, H, W)
	b.Logf("%s", cpu.BLASInfo())
	conv3x3Step(x, w, dy)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		conv3x3Step(x, w, dy)
	}
	reportFlops(b, 3*2.0*C*C*9*H*W, processCPU()-cpu0)
}

func BenchmarkConv3x3Fwd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const C, H, W = 64, 128, 128
	x := tensortest.Rand(rng, false, 1, C, H, W)
	w := tensortest.Rand(rng, false, C, C, 3, 3)
	tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: [2]int{1, 1}})
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: [2]int{1, 1}})
	}
	reportFlops(b, 2.0*C*C*9*H*W, processCPU()-cpu0)
}

// bottleneck is a ResNet-50 bottleneck block with identity shortcut:
// relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x))))))) + x), training-mode
// batch norm.
type bottleneck struct {
	w1, w2, w3             *tensor.Tensor
	g1, b1, g2, b2, g3, b3 *tensor.Tensor
	rm, rv                 [3][2]*tensor.Tensor
}

func newBottleneck(rng *rand.Rand, cin, mid int) *bottleneck {
	p := &bottleneck{
		w1: tensortest.Rand(rng, true, mid, cin, 1, 1),
		w2: tensortest.Rand(rng, true, mid, mid, 3, 3),
		w3: tensortest.Rand(rng, true, cin, mid, 1, 1),
		g1: tensor.Ones(mid).SetRequiresGrad(true), b1: tensor.Zeros(mid).SetRequiresGrad(true),
		g2: tensor.Ones(mid).SetRequiresGrad(true), b2: tensor.Zeros(mid).SetRequiresGrad(true),
		g3: tensor.Ones(cin).SetRequiresGrad(true), b3: tensor.Zeros(cin).SetRequiresGrad(true),
	}
	for i, c := range []int{mid, mid, cin} {
		p.rm[i] = [2]*tensor.Tensor{tensor.Zeros(c), tensor.Ones(c)}
	}
	return p
}

func (p *bottleneck) params() []*tensor.Tensor {
	return []*tensor.Tensor{p.w1, p.w2, p.w3, p.g1, p.b1, p.g2, p.b2, p.g3, p.b3}
}

func (p *bottleneck) forward(x *tensor.Tensor) *tensor.Tensor {
	bn := func(h, g, b *tensor.Tensor, i int) *tensor.Tensor {
		return tensor.BatchNorm2d(h, g, b, p.rm[i][0], p.rm[i][1], true, 0.1, 1e-5)
	}
	h := tensor.Relu(bn(tensor.Conv2d(x, p.w1, nil, tensor.ConvOpts{}), p.g1, p.b1, 0))
	h = tensor.Relu(bn(tensor.Conv2d(h, p.w2, nil, tensor.ConvOpts{Padding: [2]int{1, 1}}), p.g2, p.b2, 1))
	h = bn(tensor.Conv2d(h, p.w3, nil, tensor.ConvOpts{}), p.g3, p.b3, 2)
	return tensor.Relu(tensor.Add(h, x))
}

func BenchmarkBottleneckFwdBwd(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	const C, M, H, W = 256, 64, 56, 56
	p := newBottleneck(rng, C, M)
	x := tensortest.Rand(rng, true, 1, C, H, W)
	dy := tensor.Full(1.0/(C*H*W), 1, C, H, W)
	step := func() {
		x.Grad = nil
		for _, q := range p.params() {
			q.Grad = nil
		}
		p.forward(x).BackwardWith(dy)
	}
	step()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		step()
	}
	reportFlops(b, 3*2.0*(C*M+M*M*9+M*C)*H*W, processCPU()-cpu0)
}

// reportFlops reports GFLOP/s (wall) and GFLOP per CPU-second for flop
// operations per iteration.
func reportFlops(b *testing.B, flop float64, cpu time.Duration) {
	b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flop*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkConvShapes times forward+backward of convolutions shaped like
// those of a ResNet-50-FPN on a 512x512 image, on both implementations
// (fused: Go GEMM with im2col in the packing; im2col: chunks times Sgemm).
func BenchmarkConvShapes(b *testing.B) {
	shapes := []struct {
		name       string
		x, w       []int
		stride, pd int
	}{
		{"stem7x7s2", []int{1, 3, 512, 512}, []int{64, 3, 7, 7}, 2, 3},
		{"l1_3x3", []int{1, 64, 128, 128}, []int{64, 64, 3, 3}, 1, 1},
		{"l2_3x3s2", []int{1, 128, 128, 128}, []int{128, 128, 3, 3}, 2, 1},
		{"l2_1x1s2", []int{1, 256, 128, 128}, []int{512, 256, 1, 1}, 2, 0},
		{"l3_1x1", []int{1, 1024, 32, 32}, []int{256, 1024, 1, 1}, 1, 0},
		{"l4_3x3", []int{1, 512, 16, 16}, []int{512, 512, 3, 3}, 1, 1},
		{"fpn3x3_p2", []int{1, 256, 128, 128}, []int{256, 256, 3, 3}, 1, 1},
		{"maskhead3x3_32rois", []int{32, 256, 14, 14}, []int{256, 256, 3, 3}, 1, 1},
		// The small default detector (configs/synthetic_default.yaml):
		// ResNet-18 of width 16 on 4 images of 160x224, mask head of 32.
		{"small_r18w16_3x3", []int{4, 16, 80, 112}, []int{16, 16, 3, 3}, 1, 1},
		{"small_mask32_3x3", []int{64, 32, 14, 14}, []int{32, 32, 3, 3}, 1, 1},
	}
	for _, impl := range []string{"fused", "im2col"} {
		for _, s := range shapes {
			b.Run(impl+"/"+s.name, func(b *testing.B) {
				prev := cpu.SetConvFused(impl == "fused")
				defer cpu.SetConvFused(prev)
				rng := rand.New(rand.NewPCG(3, 3))
				x := tensortest.Rand(rng, true, s.x...)
				w := tensortest.Rand(rng, true, s.w...)
				o := tensor.ConvOpts{Stride: [2]int{s.stride, s.stride}, Padding: [2]int{s.pd, s.pd}}
				y := tensor.Conv2d(x, w, nil, o)
				dy := tensor.Full(1, y.Shape()...)
				step := func() {
					x.Grad, w.Grad = nil, nil
					tensor.Conv2d(x, w, nil, o).BackwardWith(dy)
				}
				step()
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i++ {
					step()
				}
				oh, ow := y.Dim(2), y.Dim(3)
				flop := 3 * 2.0 * float64(s.x[0]*s.w[0]*s.w[1]*s.w[2]*s.w[3]*oh*ow)
				reportFlops(b, flop, processCPU()-cpu0)
			})
		}
	}
}

// BenchmarkMaxPoolStem is the ResNet stem's 3x3 stride-2 max pool on a
// 512x512 image's 1x64x256x256 features, forward and backward.
func BenchmarkMaxPoolStem(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := tensortest.Rand(rng, true, 1, 64, 256, 256)
	dy := tensor.Ones(1, 64, 128, 128)
	for i := 0; i < b.N; i++ {
		x.Grad = nil
		tensor.MaxPool2d(x, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}).BackwardWith(dy)
	}
}

// BenchmarkUpsampleFPN is the FPN top-down x2 nearest upsampling of
// 1x256x64x64 to 128x128, forward and backward.
func BenchmarkUpsampleFPN(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := tensortest.Rand(rng, true, 1, 256, 64, 64)
	dy := tensor.Ones(1, 256, 128, 128)
	for i := 0; i < b.N; i++ {
		x.Grad = nil
		tensor.UpsampleNearest(x, 128, 128).BackwardWith(dy)
	}
}

// BenchmarkConvTransposeMaskHead is the mask head's 2x2 stride-2
// transposed conv 256->256 on 32 RoIs of 14x14, forward and backward.
func BenchmarkConvTransposeMaskHead(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 6))
	x := tensortest.Rand(rng, true, 32, 256, 14, 14)
	w := tensortest.Rand(rng, true, 256, 256, 2, 2)
	o := tensor.ConvTransposeOpts{Stride: [2]int{2, 2}}
	dy := tensor.Ones(32, 256, 28, 28)
	step := func() {
		x.Grad, w.Grad = nil, nil
		tensor.ConvTranspose2d(x, w, nil, o).BackwardWith(dy)
	}
	step()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		step()
	}
	reportFlops(b, 3*2.0*256*256*4*32*14*14, processCPU()-cpu0)
}
