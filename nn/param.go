package nn

import "github.com/gcdet/gcdet/tensor"

// Kind says what a parameter is, so optimizers can choose Gradient
// Centralization and weight decay by kind without special cases.
type Kind int

// Parameter kinds.
const (
	KindOther         Kind = iota // anything else (1-D or otherwise)
	KindConv                      // Conv2d weight (Cout, Cin/groups, kh, kw)
	KindConvTranspose             // ConvTranspose2d weight (Cin, Cout/groups, kh, kw)
	KindLinear                    // Linear weight (Cout, Cin)
	KindNorm                      // norm layer weight or bias (gamma, beta)
	KindBias                      // bias of a conv or linear layer
)

func (k Kind) String() string {
	switch k {
	case KindConv:
		return "conv"
	case KindConvTranspose:
		return "conv-transpose"
	case KindLinear:
		return "linear"
	case KindNorm:
		return "norm"
	case KindBias:
		return "bias"
	}
	return "other"
}

// Param is a named, trainable (or frozen) tensor. Name equals torchvision's
// state_dict key (e.g. "backbone.body.layer1.0.conv1.weight"), so
// checkpoints load by name and the optimizer can scope by prefix.
type Param struct {
	Name string
	Kind Kind
	// Value requires gradients exactly when Trainable is true.
	Value *tensor.Tensor
	// Trainable is false for frozen parameters (freeze_at, frozen BN).
	Trainable bool
	// Groups is the groups hyper-parameter of a grouped conv or
	// conv-transpose weight (0 or 1: not grouped); optimizers that reshape
	// weight gradients per group (GC on conv-transpose) read it.
	Groups int
}

// NewParam makes a parameter around value, marking it for gradients when
// trainable.
func NewParam(name string, kind Kind, value *tensor.Tensor, trainable bool) *Param {
	value.SetRequiresGrad(trainable)
	return &Param{Name: name, Kind: kind, Value: value, Trainable: trainable}
}

// Grad is the accumulated gradient (nil before Backward or when frozen).
func (p *Param) Grad() *tensor.Tensor { return p.Value.Grad }

// SetTrainable freezes or unfreezes the parameter.
func (p *Param) SetTrainable(v bool) {
	p.Trainable = v
	p.Value.SetRequiresGrad(v)
	if !v {
		p.Value.Grad = nil
	}
}
