package backbone

import (
	"fmt"
	"strings"

	"github.com/gcdet/gcdet/nn"
)

// Norm selects the normalization layer after every conv of the body.
type Norm int

// The norms. The zero value is FrozenBN, the default of both torchvision
// and detectron2 when the body starts from ImageNet weights.
const (
	// FrozenBN is batch norm with fixed statistics and affine terms
	// (torchvision's FrozenBatchNorm2d): four buffers, no parameters.
	FrozenBN Norm = iota
	// BN is trainable batch norm (torch.nn.BatchNorm2d): batch statistics
	// in training mode, running statistics in eval mode.
	BN
	// GN is group norm with GNGroups groups (32 by default).
	GN
)

func (n Norm) String() string {
	switch n {
	case FrozenBN:
		return "FrozenBN"
	case BN:
		return "BN"
	case GN:
		return "GN"
	}
	return fmt.Sprintf("Norm(%d)", int(n))
}

// ParseNorm reads a norm name as detectron2's configs spell it ("FrozenBN",
// "BN", "GN"; case-insensitive).
func ParseNorm(s string) (Norm, error) {
	switch strings.ToLower(s) {
	case "frozenbn", "frozen_bn":
		return FrozenBN, nil
	case "bn", "batchnorm":
		return BN, nil
	case "gn", "groupnorm":
		return GN, nil
	}
	return 0, fmt.Errorf("backbone: unknown norm %q (want FrozenBN, BN or GN)", s)
}

// evalBatchNorm is a BatchNorm2d inside a frozen part of the body: its
// parameters are not trainable and it stays in eval mode whatever Train
// says, so it normalizes with its running statistics and never updates
// them. That is detectron2's freeze (which turns such layers into
// FrozenBatchNorm2d) with torchvision's keys (weight and bias stay
// parameters, num_batches_tracked stays a buffer).
type evalBatchNorm struct{ *nn.BatchNorm2d }

// Train keeps the layer in eval mode.
func (l evalBatchNorm) Train(bool) { l.BatchNorm2d.Train(false) }

// newNorm makes the norm layer over c channels; frozen marks it as part of
// a frozen stage.
func newNorm(n Norm, c, gnGroups int, frozen bool) nn.Layer {
	switch n {
	case BN:
		bn := nn.NewBatchNorm2d(c)
		if frozen {
			bn.Train(false)
			return evalBatchNorm{bn}
		}
		return bn
	case GN:
		return nn.NewGroupNorm(gnGroups, c)
	}
	return nn.NewFrozenBatchNorm2d(c)
}

// zeroNormWeight sets the scale of a norm layer to 0 (zero_init_residual).
func zeroNormWeight(l nn.Layer) {
	switch n := l.(type) {
	case *nn.BatchNorm2d:
		nn.Constant(n.Weight.Value, 0)
	case evalBatchNorm:
		nn.Constant(n.Weight.Value, 0)
	case *nn.GroupNorm:
		nn.Constant(n.Weight.Value, 0)
	case *nn.FrozenBatchNorm2d:
		nn.Constant(n.Weight, 0)
	default:
		panic(fmt.Sprintf("backbone: zeroNormWeight on %T", l))
	}
}
