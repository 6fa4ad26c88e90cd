package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

type stats struct{ min, max, mean, std float64 }

func summarize(t *tensor.Tensor) stats {
	s := stats{min: math.Inf(1), max: math.Inf(-1)}
	d := t.Data()
	for _, v := range d {
		x := float64(v)
		s.min, s.max = math.Min(s.min, x), math.Max(s.max, x)
		s.mean += x
	}
	s.mean /= float64(len(d))
	for _, v := range d {
		dx := float64(v) - s.mean
		s.std += dx * dx
	}
	s.std = math.Sqrt(s.std / float64(len(d)))
	return s
}

// checkUniform asserts values lie in [-bound, bound], reach near both ends,
// and have the uniform's standard deviation bound/sqrt(3).
func checkUniform(t *testing.T, what string, x *tensor.Tensor, bound float64) {
	t.Helper()
	s := summarize(x)
	n := float64(x.Numel())
	if s.min < -bound || s.max > bound {
		t.Errorf("%s: values in [%g, %g], bound %g", what, s.min, s.max, bound)
	}
	if slack := bound * 20 / n; s.min > -bound+slack || s.max < bound-slack {
		t.Errorf("%s: values in [%g, %g] do not reach the bound %g", what, s.min, s.max, bound)
	}
	if want := bound / math.Sqrt(3); math.Abs(s.std-want) > 5*want/math.Sqrt(n) || math.Abs(s.mean) > 5*want/math.Sqrt(n) {
		t.Errorf("%s: mean %g std %g, want 0 and %g", what, s.mean, s.std, want)
	}
}

func checkNormal(t *testing.T, what string, x *tensor.Tensor, std float64) {
	t.Helper()
	s := summarize(x)
	n := float64(x.Numel())
	if math.Abs(s.std-std) > 5*std/math.Sqrt(2*n) || math.Abs(s.mean) > 5*std/math.Sqrt(n) {
		t.Errorf("%s: mean %g std %g, want 0 and %g", what, s.mean, s.std, std)
	}
}

func TestDefaultInit(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// torch: kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in); bias the same bound.
	conv := nn.NewConv2d(rng, nn.Conv2dConfig{In: 64, Out: 128, Kernel: 3, Groups: 2, Bias: true})
	fanIn := 32.0 * 9
	checkUniform(t, "conv weight", conv.Weight.Value, 1/math.Sqrt(fanIn))
	if s := summarize(conv.Bias.Value); s.min < -1/math.Sqrt(fanIn) || s.max > 1/math.Sqrt(fanIn) || s.std == 0 {
		t.Errorf("conv bias %+v", s)
	}
	lin := nn.NewLinear(rng, 1024, 256, true)
	checkUniform(t, "linear weight", lin.Weight.Value, 1/32.0)
	checkUniform(t, "linear bias", lin.Bias.Value, 1/32.0)
	// ConvTranspose2d weight [In, Out, k, k]: torch's fan_in is Out*k*k.
	dc := nn.NewConvTranspose2d(rng, nn.ConvTranspose2dConfig{In: 256, Out: 64, Kernel: 2, Stride: 2, Bias: true})
	checkUniform(t, "deconv weight", dc.Weight.Value, 1/math.Sqrt(64*4))
}

func TestKaimingAndC2Fills(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	w := tensor.Zeros(256, 64, 3, 3) // fan_in 576, fan_out 2304
	nn.KaimingNormal(rng, w, 0, nn.FanOut, nn.GainReLU)
	checkNormal(t, "kaiming_normal fan_out relu", w, math.Sqrt(2.0/2304))
	nn.KaimingNormal(rng, w, 0, nn.FanIn, nn.GainReLU)
	checkNormal(t, "kaiming_normal fan_in relu", w, math.Sqrt(2.0/576))
	nn.KaimingUniform(rng, w, 0, nn.FanIn, nn.GainReLU)
	checkUniform(t, "kaiming_uniform relu", w, math.Sqrt(6.0/576))

	conv := nn.NewConv2d(rng, nn.Conv2dConfig{In: 64, Out: 256, Kernel: 3, Bias: true})
	nn.C2XavierFill(rng, conv.Weight, conv.Bias)
	checkUniform(t, "c2_xavier_fill", conv.Weight.Value, math.Sqrt(3.0/576))
	if s := summarize(conv.Bias.Value); s.min != 0 || s.max != 0 {
		t.Errorf("c2_xavier_fill bias %+v", s)
	}
	nn.C2MSRAFill(rng, conv.Weight, conv.Bias)
	checkNormal(t, "c2_msra_fill", conv.Weight.Value, math.Sqrt(2.0/2304))

	nn.Normal(rng, w, 0, 0.01)
	checkNormal(t, "normal 0.01", w, 0.01)
	nn.Constant(w, 0.5)
	if s := summarize(w); s.min != 0.5 || s.max != 0.5 {
		t.Errorf("constant %+v", s)
	}
	nn.XavierUniform(rng, w, 1)
	checkUniform(t, "xavier_uniform", w, math.Sqrt(6.0/(576+2304)))

	if g := nn.Gain(nn.GainLeakyReLU, math.Sqrt(5)); math.Abs(g-math.Sqrt(1.0/3)) > 1e-12 {
		t.Errorf("leaky relu gain %g", g)
	}
	if in, out := nn.Fans([]int{8, 3, 5, 7}); in != 105 || out != 280 {
		t.Errorf("fans %d %d", in, out)
	}
}

func TestInitReproducible(t *testing.T) {
	a := nn.NewConv2d(rand.New(rand.NewPCG(1, 2)), nn.Conv2dConfig{In: 3, Out: 8, Kernel: 3, Bias: true})
	b := nn.NewConv2d(rand.New(rand.NewPCG(1, 2)), nn.Conv2dConfig{In: 3, Out: 8, Kernel: 3, Bias: true})
	c := nn.NewConv2d(rand.New(rand.NewPCG(1, 3)), nn.Conv2dConfig{In: 3, Out: 8, Kernel: 3, Bias: true})
	same := func(x, y *tensor.Tensor) bool {
		for i, v := range x.Data() {
			if y.Data()[i] != v {
				return false
			}
		}
		return true
	}
	if !same(a.Weight.Value, b.Weight.Value) || !same(a.Bias.Value, b.Bias.Value) {
		t.Error("same seed, different weights")
	}
	if same(a.Weight.Value, c.Weight.Value) {
		t.Error("different seeds, same weights")
	}
}
