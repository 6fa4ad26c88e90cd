package roi

// Shapes: R sampled RoIs in the batch (all images, image by image), P of
// them foreground, K+1 classes.
//
//	logits [R, K+1]                     cross entropy with the RoI labels, mean over R
//	deltas [R, 4(K+1)] -> [R(K+1), 4]   rows r(K+1)+label[r] of the foreground [P, 4],
//	                                    (smooth) L1 against the encoded ground truth, sum / R

import (
	"fmt"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/tensor"
)

// Losses are the box branch's training losses (scalars, already weighted).
type Losses struct {
	// Classifier is torchvision's loss_classifier (detectron2's loss_cls).
	Classifier *tensor.Tensor
	// BoxReg is torchvision's and detectron2's loss_box_reg.
	BoxReg *tensor.Tensor
	// Mask is loss_mask with a mask branch (mask_branch.go), else nil.
	Mask *tensor.Tensor
}

// losses computes the classification and box regression losses of the
// predictions for the sampled RoIs of every image (concatenated in image
// order), as torchvision's fastrcnn_loss and detectron2's
// FastRCNNOutputLayers.losses: the box loss only counts each foreground
// RoI's deltas of its ground-truth class, and is normalized by the number
// of sampled RoIs (foreground and background).
func (c Config) losses(logits, deltas *tensor.Tensor, sampled []Sampled, gt []GroundTruth, coder box.Coder) Losses {
	r, k1 := logits.Dim(0), logits.Dim(1)
	labels := make([]int32, 0, r)
	var rows []int32
	var targets []float32
	off := 0
	for i, s := range sampled {
		fg := s.Foreground()
		if len(fg) > 0 {
			matched := make(box.Boxes, 4*len(fg))
			for k, j := range fg {
				g := s.MatchedGT[j]
				copy(matched[4*k:4*k+4], gt[i].Boxes[4*g:4*g+4])
				rows = append(rows, int32((off+int(j))*k1)+s.Labels[j])
			}
			targets = append(targets, coder.Encode(matched, s.Boxes.Select(fg))...)
		}
		labels = append(labels, s.Labels...)
		off += s.Len()
	}
	if off != r || deltas.Dim(0) != r || deltas.Dim(1) != 4*k1 {
		panic(fmt.Sprintf("roi: losses for %d sampled RoIs with logits %v and deltas %v", off, logits.Shape(), deltas.Shape()))
	}
	cls := tensor.CrossEntropy(logits, labels, -1) // mean over R; 0 when R = 0
	p := len(rows)
	pred := tensor.IndexSelect(tensor.Reshape(deltas, r*k1, 4), 0, rows)
	reg := tensor.SmoothL1(pred, tensor.FromSlice(targets, p, 4), c.SmoothL1Beta, tensor.ReduceSum)
	return Losses{
		Classifier: tensor.MulScalar(cls, c.ClsWeight),
		BoxReg:     tensor.MulScalar(reg, c.BoxRegWeight/float32(max(r, 1))),
	}
}
