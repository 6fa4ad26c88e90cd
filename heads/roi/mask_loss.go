package roi

// Shapes: P positive RoIs of the batch, K+1 classes, M x M masks.
//
//	logits [P, K+1, M, M] -> rows p(K+1)+label[p] of [P(K+1), M*M] -> [P, M*M]
//	BCE with logits against targets [P, M*M], mean over P*M*M

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor"
)

// MaskLoss is Mask R-CNN's mask loss (torchvision's maskrcnn_loss,
// detectron2's mask_rcnn_loss): the binary cross entropy of each positive
// RoI's logit map of its ground-truth class against its target, averaged
// over all P*M*M values. Without positives it is 0 with a zero gradient for
// the logits (both libraries return logits.sum() * 0), never NaN.
func MaskLoss(logits *tensor.Tensor, labels []int32, targets []float32) *tensor.Tensor {
	if logits.Dims() != 4 || logits.Dim(2) != logits.Dim(3) {
		panic(fmt.Sprintf("roi.MaskLoss: logits %v are not [P, K+1, M, M]", logits.Shape()))
	}
	p, k1, m := logits.Dim(0), logits.Dim(1), logits.Dim(2)
	if len(labels) != p || len(targets) != p*m*m {
		panic(fmt.Sprintf("roi.MaskLoss: logits %v with %d labels and %d target values", logits.Shape(), len(labels), len(targets)))
	}
	if p == 0 {
		return tensor.MulScalar(tensor.SumAll(logits), 0)
	}
	rows := make([]int32, p)
	for i, l := range labels {
		if l < 1 || int(l) >= k1 {
			panic(fmt.Sprintf("roi.MaskLoss: positive RoI %d has label %d outside 1..%d", i, l, k1-1))
		}
		rows[i] = int32(i*k1) + l
	}
	picked := tensor.IndexSelect(tensor.Reshape(logits, p*k1, m*m), 0, rows)
	return tensor.BCEWithLogits(picked, tensor.FromSlice(targets, p, m*m))
}
