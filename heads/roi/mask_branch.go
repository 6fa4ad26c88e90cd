package roi

// Shapes: N images, P positive RoIs (training) or D detections (inference)
// in the batch, image by image; S x S pooled bins (14), M = 2S (28).
//
//	features + boxes -> mask pooler [P|D, C, S, S] -> MaskHead -> MaskPredictor [P|D, K+1, M, M]
//	training:  MaskLoss against MaskTargets of the positives  -> Losses.Mask
//	inference: sigmoid of each detection's class channel       -> Detections.MaskProbs [D, M, M]

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// maskBranch is the mask branch's configuration and pooler; its modules
// are Heads.MaskHead and Heads.MaskPredictor.
type maskBranch struct {
	pooler *MultiScaleRoIAlign
	cfg    MaskConfig
}

// AddMaskBranch turns the box heads into Mask R-CNN's RoI heads: it
// registers "mask_head" (cfg.NumConvs convolutions on inChannels pooled
// channels) and "mask_predictor" after the box branch, drawing their
// weights from rng, as torchvision's MaskRCNN does. Call it before the heads
// are registered on a parent module (the detector's "roi_heads"), so that
// the new parameters get the parent's prefix too; later is an error. The
// mask pooler reads the same feature maps as the box pooler
// (Input.Features).
func (h *Heads) AddMaskBranch(rng *rand.Rand, inChannels int, cfg MaskConfig) error {
	if h.mask != nil {
		return fmt.Errorf("roi: the heads already have a mask branch")
	}
	if !strings.HasPrefix(h.BoxHead.FC6.Weight.Name, "box_head.") {
		return fmt.Errorf("roi: AddMaskBranch after the heads were registered (parameter %q): add the mask branch first", h.BoxHead.FC6.Weight.Name)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if inChannels < 1 {
		return fmt.Errorf("roi: mask head input channels %d must be >= 1", inChannels)
	}
	pooler, err := NewMultiScaleRoIAlign(cfg.Pooler)
	if err != nil {
		return err
	}
	predIn := cfg.ConvDim
	if cfg.NumConvs == 0 {
		predIn = inChannels
	}
	h.MaskHead = nn.Register(&h.Container, "mask_head", NewMaskHead(rng, inChannels, cfg.NumConvs, cfg.ConvDim))
	h.MaskPredictor = nn.Register(&h.Container, "mask_predictor", NewMaskPredictor(rng, predIn, cfg.ConvDim, h.cfg.NumClasses, cfg.Init))
	h.mask = &maskBranch{pooler: pooler, cfg: cfg}
	return nil
}

// HasMasks reports whether the heads have a mask branch.
func (h *Heads) HasMasks() bool { return h.mask != nil }

// MaskConfig returns the mask branch's configuration (ok false without
// one).
func (h *Heads) MaskConfig() (cfg MaskConfig, ok bool) {
	if h.mask == nil {
		return MaskConfig{}, false
	}
	return h.mask.cfg, true
}

// MaskPooler returns the mask branch's pooler (nil without one).
func (h *Heads) MaskPooler() *MultiScaleRoIAlign {
	if h.mask == nil {
		return nil
	}
	return h.mask.pooler
}

// MaskLogits pools the features inside boxes[i] of each image i and
// returns the mask logits [R, K+1, M, M], RoIs in image order. It panics
// without a mask branch.
func (h *Heads) MaskLogits(features []*tensor.Tensor, boxes []box.Boxes, sizes []rpn.ImageSize) *tensor.Tensor {
	if h.mask == nil {
		panic("roi.Heads.MaskLogits: the heads have no mask branch (AddMaskBranch)")
	}
	pooled := h.mask.pooler.Pool(features, boxes, sizes)
	return h.MaskPredictor.Forward(h.MaskHead.Forward(pooled))
}

// maskLoss is loss_mask for the sampled RoIs: the positives of every image
// with their ground-truth class and mask target.
func (h *Heads) maskLoss(in Input, sampled []Sampled) (*tensor.Tensor, error) {
	m := h.mask.cfg.MaskSize()
	pos := make([]box.Boxes, len(sampled))
	var labels []int32
	var targets []float32
	for i, s := range sampled {
		fg := s.Foreground()
		pos[i] = s.Boxes.Select(fg)
		if len(fg) == 0 {
			continue
		}
		gt := in.GT[i]
		if len(gt.Masks) != gt.Len() {
			return nil, fmt.Errorf("roi: image %d of the batch has %d instance masks for %d instances (Mask R-CNN needs one per instance)", i, len(gt.Masks), gt.Len())
		}
		matched := make([]int32, len(fg))
		for k, j := range fg {
			matched[k] = s.MatchedGT[j]
			labels = append(labels, s.Labels[j])
		}
		t, err := MaskTargets(h.mask.cfg.Targets, pos[i], matched, gt.Masks, in.Sizes[i].H, in.Sizes[i].W, m)
		if err != nil {
			return nil, fmt.Errorf("%w (image %d of the batch)", err, i)
		}
		targets = append(targets, t...)
	}
	logits := h.MaskLogits(in.Features, pos, in.Sizes)
	return tensor.MulScalar(MaskLoss(logits, labels, targets), h.mask.cfg.LossWeight), nil
}

// predictMasks sets each detection's MaskProbs: the sigmoid of its class's
// logit map (torchvision's maskrcnn_inference, detectron2's
// mask_rcnn_inference).
func (h *Heads) predictMasks(features []*tensor.Tensor, dets []Detections, sizes []rpn.ImageSize) {
	boxes := make([]box.Boxes, len(dets))
	for i, d := range dets {
		boxes[i] = d.Boxes
	}
	logits := h.MaskLogits(features, boxes, sizes)
	k1, m := logits.Dim(1), logits.Dim(2)
	data := logits.Data()
	off := 0
	for i := range dets {
		d := &dets[i]
		d.MaskSize = m
		d.MaskProbs = make([]float32, d.Len()*m*m)
		for j, l := range d.Labels {
			src := data[((off+j)*k1+int(l))*m*m:][:m*m]
			dst := d.MaskProbs[j*m*m:][:m*m]
			for p, x := range src {
				dst[p] = float32(1 / (1 + math.Exp(-float64(x))))
			}
		}
		off += d.Len()
	}
}
