package nn

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor"
)

// BatchNorm2d is torch.nn.BatchNorm2d (affine, tracking running statistics):
// in training mode it normalizes by batch statistics and updates the
// running ones; in eval mode it uses the running statistics.
type BatchNorm2d struct {
	Weight, Bias            *Param // "weight", "bias" [C], KindNorm
	RunningMean, RunningVar *tensor.Tensor
	// NumBatchesTracked counts training forward passes (torch's
	// num_batches_tracked; the update uses Momentum, as torch does when
	// momentum is set).
	NumBatchesTracked int64
	Momentum, Eps     float32

	training bool
	buffers  []*Buffer
}

// NewBatchNorm2d makes a BatchNorm2d over c channels with torch's defaults:
// weight 1, bias 0, running mean 0, running var 1, eps 1e-5, momentum 0.1,
// training mode.
func NewBatchNorm2d(c int) *BatchNorm2d {
	if c <= 0 {
		panic(fmt.Sprintf("nn.NewBatchNorm2d: %d channels", c))
	}
	l := &BatchNorm2d{
		Weight:      NewParam("weight", KindNorm, tensor.Ones(c), true),
		Bias:        NewParam("bias", KindNorm, tensor.Zeros(c), true),
		RunningMean: tensor.Zeros(c),
		RunningVar:  tensor.Ones(c),
		Momentum:    0.1,
		Eps:         1e-5,
		training:    true,
	}
	l.buffers = []*Buffer{
		{Name: "running_mean", Value: l.RunningMean},
		{Name: "running_var", Value: l.RunningVar},
		{Name: "num_batches_tracked", Count: &l.NumBatchesTracked},
	}
	return l
}

// Forward normalizes x [N, C, H, W].
func (l *BatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if l.training {
		l.NumBatchesTracked++
	}
	return tensor.BatchNorm2d(x, l.Weight.Value, l.Bias.Value, l.RunningMean, l.RunningVar, l.training, l.Momentum, l.Eps)
}

// Params returns weight and bias.
func (l *BatchNorm2d) Params() []*Param { return []*Param{l.Weight, l.Bias} }

// Buffers returns running_mean, running_var and num_batches_tracked.
func (l *BatchNorm2d) Buffers() []*Buffer { return l.buffers }

// Train switches between batch statistics (true) and running statistics.
func (l *BatchNorm2d) Train(training bool) { l.training = training }

// Training reports the mode.
func (l *BatchNorm2d) Training() bool { return l.training }
