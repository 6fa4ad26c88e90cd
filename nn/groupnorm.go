package nn

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor"
)

// GroupNorm is torch.nn.GroupNorm (affine): per-sample statistics over
// groups of C/Groups channels, the same in training and eval.
type GroupNorm struct {
	// Weight and Bias ("weight", "bias" [C], KindNorm) may be set to nil
	// for torch's affine=False.
	Weight, Bias *Param
	Groups       int
	Eps          float32
}

// NewGroupNorm makes a GroupNorm of c channels in groups groups with
// torch's defaults: weight 1, bias 0, eps 1e-5.
func NewGroupNorm(groups, c int) *GroupNorm {
	if groups <= 0 || c <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("nn.NewGroupNorm: %d channels do not split into %d groups", c, groups))
	}
	return &GroupNorm{
		Weight: NewParam("weight", KindNorm, tensor.Ones(c), true),
		Bias:   NewParam("bias", KindNorm, tensor.Zeros(c), true),
		Groups: groups,
		Eps:    1e-5,
	}
}

// Forward normalizes x [N, C, ...].
func (l *GroupNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.GroupNorm(x, l.Groups, paramValue(l.Weight), paramValue(l.Bias), l.Eps)
}

// Params returns weight and bias (when affine).
func (l *GroupNorm) Params() []*Param { return params(l.Weight, l.Bias) }

// Buffers is empty.
func (l *GroupNorm) Buffers() []*Buffer { return nil }

// Train does nothing.
func (l *GroupNorm) Train(bool) {}
