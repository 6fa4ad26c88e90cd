package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/tensor"
)

// Linear is torch.nn.Linear: x [N, In] -> [N, Out].
type Linear struct {
	Weight *Param // "weight" [Out, In], KindLinear
	Bias   *Param // "bias" [Out], KindBias; nil without bias
}

// NewLinear makes a Linear initialized as torch does by default
// (DefaultInit).
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn.NewLinear: bad sizes in=%d out=%d", in, out))
	}
	l := &Linear{Weight: NewParam("weight", KindLinear, tensor.Zeros(out, in), true)}
	if bias {
		l.Bias = NewParam("bias", KindBias, tensor.Zeros(out), true)
	}
	DefaultInit(rng, l.Weight, l.Bias)
	return l
}

// Forward computes x*W^T + b.
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Linear(x, l.Weight.Value, paramValue(l.Bias))
}

// Params returns weight and, if present, bias.
func (l *Linear) Params() []*Param { return params(l.Weight, l.Bias) }

// Buffers is empty.
func (l *Linear) Buffers() []*Buffer { return nil }

// Train does nothing.
func (l *Linear) Train(bool) {}
