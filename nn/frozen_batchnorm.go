package nn

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor"
)

// FrozenBatchNorm2d is torchvision.ops.FrozenBatchNorm2d: batch norm with
// fixed statistics and affine parameters, y = x*scale + shift per channel
// with scale = weight*rsqrt(running_var+eps). Its four vectors are buffers,
// not parameters (as in torchvision), so an optimizer never sees them; a
// state dict's num_batches_tracked under its name is accepted and dropped.
type FrozenBatchNorm2d struct {
	Weight, Bias, RunningMean, RunningVar *tensor.Tensor // [C]
	Eps                                   float32

	buffers []*Buffer
}

// NewFrozenBatchNorm2d makes a FrozenBatchNorm2d over c channels with
// torchvision's defaults: weight 1, bias 0, running mean 0, running var 1,
// eps 1e-5.
func NewFrozenBatchNorm2d(c int) *FrozenBatchNorm2d {
	if c <= 0 {
		panic(fmt.Sprintf("nn.NewFrozenBatchNorm2d: %d channels", c))
	}
	l := &FrozenBatchNorm2d{
		Weight: tensor.Ones(c), Bias: tensor.Zeros(c),
		RunningMean: tensor.Zeros(c), RunningVar: tensor.Ones(c),
		Eps: 1e-5,
	}
	l.buffers = []*Buffer{
		{Name: "weight", Value: l.Weight},
		{Name: "bias", Value: l.Bias},
		{Name: "running_mean", Value: l.RunningMean},
		{Name: "running_var", Value: l.RunningVar},
		{Name: "num_batches_tracked", Ignored: true},
	}
	return l
}

// FreezeBatchNorm2d returns a FrozenBatchNorm2d holding copies of bn's
// weight, bias and running statistics, with bn's eps (detectron2's
// convert_frozen_batchnorm, for one layer). Use it before registering the
// layer in a parent.
func FreezeBatchNorm2d(bn *BatchNorm2d) *FrozenBatchNorm2d {
	l := NewFrozenBatchNorm2d(bn.RunningMean.Numel())
	l.Eps = bn.Eps
	for _, c := range [][2]*tensor.Tensor{
		{l.Weight, bn.Weight.Value}, {l.Bias, bn.Bias.Value},
		{l.RunningMean, bn.RunningMean}, {l.RunningVar, bn.RunningVar},
	} {
		c[0].Backend().Copy(c[0].Storage(), c[1].Storage())
	}
	return l
}

// Forward applies the frozen normalization to x [N, C, H, W].
func (l *FrozenBatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.FrozenBatchNorm2d(x, l.Weight, l.Bias, l.RunningMean, l.RunningVar, l.Eps)
}

// Params is empty: nothing here trains.
func (l *FrozenBatchNorm2d) Params() []*Param { return nil }

// Buffers returns weight, bias, running_mean, running_var (and the ignored
// num_batches_tracked key).
func (l *FrozenBatchNorm2d) Buffers() []*Buffer { return l.buffers }

// Train does nothing: the layer behaves the same in both modes.
func (l *FrozenBatchNorm2d) Train(bool) {}
