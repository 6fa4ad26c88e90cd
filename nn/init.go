package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// Initializations as torch.nn.init, torchvision and detectron2 apply them.
// Every random one draws from the *rand.Rand it is given, element by element
// in row-major order, so the same seed gives the same weights.

// FanMode selects which fan scales a Kaiming initialization.
type FanMode int

// Fan modes.
const (
	FanIn FanMode = iota
	FanOut
)

// Nonlinearity selects the gain of a Kaiming initialization
// (torch.nn.init.calculate_gain).
type Nonlinearity int

// Nonlinearities.
const (
	GainLeakyReLU Nonlinearity = iota // gain sqrt(2/(1+a^2)), torch's default
	GainReLU                          // gain sqrt(2)
	GainLinear                        // gain 1 (also conv and sigmoid)
	GainTanh                          // gain 5/3
)

// Gain is torch's recommended gain for the nonlinearity (a is the negative
// slope of GainLeakyReLU).
func Gain(nl Nonlinearity, a float64) float64 {
	switch nl {
	case GainReLU:
		return math.Sqrt2
	case GainLinear:
		return 1
	case GainTanh:
		return 5.0 / 3
	}
	return math.Sqrt(2 / (1 + a*a))
}

// Fans returns fan_in and fan_out of a weight shape as torch computes them:
// fan_in = shape[1]*receptive field, fan_out = shape[0]*receptive field
// (so for a ConvTranspose2d weight [Cin, Cout/g, kh, kw] "fan_in" is
// Cout/g*kh*kw, torch's convention). It panics for fewer than 2 dims.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn.Fans: fan in and fan out need at least 2 dimensions, shape %v", shape))
	}
	rf := tensor.Numel(shape[2:])
	return shape[1] * rf, shape[0] * rf
}

func fan(shape []int, mode FanMode) int {
	in, out := Fans(shape)
	if mode == FanOut {
		return out
	}
	return in
}

// Uniform fills t with values uniform in [lo, hi).
func Uniform(rng *rand.Rand, t *tensor.Tensor, lo, hi float64) {
	v := make([]float32, t.Numel())
	for i := range v {
		v[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	setValues(t, v)
}

// Normal fills t with values from N(mean, std^2).
func Normal(rng *rand.Rand, t *tensor.Tensor, mean, std float64) {
	v := make([]float32, t.Numel())
	for i := range v {
		v[i] = float32(mean + std*rng.NormFloat64())
	}
	setValues(t, v)
}

// Constant fills t with c.
func Constant(t *tensor.Tensor, c float64) {
	v := make([]float32, t.Numel())
	for i := range v {
		v[i] = float32(c)
	}
	setValues(t, v)
}

// KaimingUniform is torch.nn.init.kaiming_uniform_: uniform in
// [-bound, bound] with bound = gain*sqrt(3/fan).
func KaimingUniform(rng *rand.Rand, t *tensor.Tensor, a float64, mode FanMode, nl Nonlinearity) {
	bound := Gain(nl, a) * math.Sqrt(3/float64(fan(t.Shape(), mode)))
	Uniform(rng, t, -bound, bound)
}

// KaimingNormal is torch.nn.init.kaiming_normal_: N(0, std^2) with std =
// gain/sqrt(fan). torchvision's ResNet convs use FanOut with GainReLU.
func KaimingNormal(rng *rand.Rand, t *tensor.Tensor, a float64, mode FanMode, nl Nonlinearity) {
	std := Gain(nl, a) / math.Sqrt(float64(fan(t.Shape(), mode)))
	Normal(rng, t, 0, std)
}

// XavierUniform is torch.nn.init.xavier_uniform_: uniform in [-b, b] with
// b = gain*sqrt(6/(fan_in+fan_out)).
func XavierUniform(rng *rand.Rand, t *tensor.Tensor, gain float64) {
	in, out := Fans(t.Shape())
	b := gain * math.Sqrt(6/float64(in+out))
	Uniform(rng, t, -b, b)
}

// DefaultInit is torch's reset_parameters for Conv2d, ConvTranspose2d and
// Linear: weight kaiming_uniform with a = sqrt(5) (bound 1/sqrt(fan_in)),
// bias uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)]. bias may be nil.
func DefaultInit(rng *rand.Rand, weight, bias *Param) {
	KaimingUniform(rng, weight.Value, math.Sqrt(5), FanIn, GainLeakyReLU)
	if bias != nil {
		fanIn, _ := Fans(weight.Value.Shape())
		bound := 0.0
		if fanIn > 0 {
			bound = 1 / math.Sqrt(float64(fanIn))
		}
		Uniform(rng, bias.Value, -bound, bound)
	}
}

// C2XavierFill is detectron2's c2_xavier_fill (Caffe2's XavierFill, used
// by FPN's lateral and output convs): weight kaiming_uniform with a = 1
// (bound sqrt(3/fan_in)), bias zero. bias may be nil.
func C2XavierFill(rng *rand.Rand, weight, bias *Param) {
	KaimingUniform(rng, weight.Value, 1, FanIn, GainLeakyReLU)
	if bias != nil {
		Constant(bias.Value, 0)
	}
}

// C2MSRAFill is detectron2's c2_msra_fill (Caffe2's MSRAFill, used by
// the mask head): weight kaiming_normal with fan_out and ReLU gain, bias
// zero. bias may be nil.
func C2MSRAFill(rng *rand.Rand, weight, bias *Param) {
	KaimingNormal(rng, weight.Value, 0, FanOut, GainReLU)
	if bias != nil {
		Constant(bias.Value, 0)
	}
}
