package rpn

// Shapes: N images, T anchors per image (all levels), S sampled anchors in
// the batch, P of them foreground.
//
//	objectness [N, T] -> [N*T] -> sampled [S]        binary cross entropy
//	deltas     [N, T, 4] -> [N*T, 4] -> foreground [P, 4]   (smooth) L1

import (
	"github.com/gcdet/gcdet/tensor"
)

// Losses are the RPN's training losses (scalars, already weighted).
type Losses struct {
	// Objectness is torchvision's loss_objectness (detectron2's
	// loss_rpn_cls).
	Objectness *tensor.Tensor
	// BoxReg is torchvision's loss_rpn_box_reg (detectron2's
	// loss_rpn_loc).
	BoxReg *tensor.Tensor
}

// losses computes both losses from the flattened head outputs and each
// image's sampled anchors.
func (c Config) losses(obj, del *tensor.Tensor, targets []anchorTargets) Losses {
	n, t := obj.Dim(0), obj.Dim(1)
	var sampled, pos []int32
	var labels, deltas []float32
	for i, tg := range targets {
		off := int32(i * t)
		for _, a := range tg.pos {
			sampled = append(sampled, off+a)
			pos = append(pos, off+a)
			labels = append(labels, 1)
		}
		for _, a := range tg.neg {
			sampled = append(sampled, off+a)
			labels = append(labels, 0)
		}
		deltas = append(deltas, tg.deltas...)
	}
	s, p := len(sampled), len(pos)

	var objLoss, boxLoss *tensor.Tensor
	if s > 0 {
		logits := tensor.IndexSelect(tensor.Reshape(obj, n*t), 0, sampled)
		objLoss = tensor.BCEWithLogits(logits, tensor.FromSlice(labels, s)) // mean over S
	} else {
		objLoss = tensor.MulScalar(tensor.SumAll(obj), 0) // keeps the graph, value 0
	}
	pred := tensor.IndexSelect(tensor.Reshape(del, n*t, 4), 0, pos)
	boxLoss = tensor.SmoothL1(pred, tensor.FromSlice(deltas, p, 4), c.SmoothL1Beta, tensor.ReduceSum)

	var objScale, boxScale float32
	switch c.Normalization {
	case NormalizeBySampled: // torchvision: mean BCE, box sum / S
		objScale, boxScale = 1, 1/float32(max(s, 1))
	default: // detectron2: both sums / (BatchSizePerImage * N)
		norm := float32(c.BatchSizePerImage * n)
		objScale, boxScale = float32(s)/norm, 1/norm
	}
	return Losses{
		Objectness: tensor.MulScalar(objLoss, objScale*c.ObjectnessWeight),
		BoxReg:     tensor.MulScalar(boxLoss, boxScale*c.BoxRegWeight),
	}
}
