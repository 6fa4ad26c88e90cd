package detector

// Shapes: N images padded to Hp x Wp, D FPN channels, K classes.
//
//	images     [N, 3, Hp, Wp]
//	features   "0".."3", "pool": P2..P6 [N, D, Hp/4 .. Hp/64, ...]
//	rpn        all five levels -> proposals per image (detached)
//	roi_heads  P2..P5 + proposals -> losses (training) / detections (inference)

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// GeneralizedRCNN is a Faster R-CNN: backbone with FPN, RPN and RoI heads,
// registered as "backbone", "rpn" and "roi_heads" (torchvision's names).
type GeneralizedRCNN struct {
	nn.Container
	Backbone *fpn.BackboneWithFPN
	RPN      *rpn.RPN
	RoIHeads *roi.Heads

	boxPooler *roi.MultiScaleRoIAlign
	cfg       Config
}

// New builds a Faster R-CNN from cfg, drawing the initial weights from rng
// in module order (backbone, RPN head, box head, box predictor).
func New(rng *rand.Rand, cfg Config) (*GeneralizedRCNN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bb, err := fpn.NewResNetFPN(rng, cfg.Backbone, cfg.FPN)
	if err != nil {
		return nil, err
	}
	shapes := bb.OutputShapes()
	if len(shapes) != rpn.DefaultFPNAnchors(cfg.RPN.Anchors).NumLevels() {
		return nil, fmt.Errorf("detector: the backbone has %d output levels, the RPN anchors need %d (P2..P6)", len(shapes), rpn.DefaultFPNAnchors(cfg.RPN.Anchors).NumLevels())
	}
	r, err := rpn.New(rng, bb.OutChannels(), cfg.RPN)
	if err != nil {
		return nil, err
	}
	pooler, err := roi.NewMultiScaleRoIAlign(cfg.BoxPooler)
	if err != nil {
		return nil, err
	}
	s := cfg.BoxPooler.OutputSize
	heads, err := roi.New(rng, pooler, bb.OutChannels()*s*s, cfg.RoI)
	if err != nil {
		return nil, err
	}
	if cfg.Mask != nil {
		if err := heads.AddMaskBranch(rng, bb.OutChannels(), *cfg.Mask); err != nil {
			return nil, err
		}
	}
	m := &GeneralizedRCNN{boxPooler: pooler, cfg: cfg}
	m.Backbone = nn.Register(&m.Container, "backbone", bb)
	m.RPN = nn.Register(&m.Container, "rpn", r)
	m.RoIHeads = nn.Register(&m.Container, "roi_heads", heads)
	return m, nil
}

// Config returns the model's configuration.
func (m *GeneralizedRCNN) Config() Config { return m.cfg }

// NumClasses is the number of foreground classes K.
func (m *GeneralizedRCNN) NumClasses() int { return m.cfg.RoI.NumClasses }

// SizeDivisibility is the multiple the padded batch size must be of (32).
func (m *GeneralizedRCNN) SizeDivisibility() int { return m.Backbone.SizeDivisibility() }

// BoxPooler returns the box head's pooler.
func (m *GeneralizedRCNN) BoxPooler() *roi.MultiScaleRoIAlign { return m.boxPooler }

// Features runs the backbone: the pyramid levels, finest first, and their
// names ("0".."3", "pool").
func (m *GeneralizedRCNN) Features(images ImageList) ([]*tensor.Tensor, []string) {
	return m.Backbone.Forward(images.Tensor), m.Backbone.Names()
}

// Loss switches the model to training mode and returns the losses for a
// collated batch (see FromBatch); rng draws the anchor and RoI samples.
func (m *GeneralizedRCNN) Loss(b *coco.Batch, rng *rand.Rand) (Losses, error) {
	images, targets, err := FromBatch(b, m.NumClasses(), m.cfg.KeepCrowd)
	if err != nil {
		return Losses{}, err
	}
	if m.HasMasks() {
		if err := attachMasks(b, targets, m.cfg.KeepCrowd); err != nil {
			return Losses{}, err
		}
	}
	return m.LossOn(images, targets, rng)
}

// LossOn is Loss on an image list and per-image ground truth (an image may
// have none: it then contributes only background samples).
func (m *GeneralizedRCNN) LossOn(images ImageList, targets []roi.GroundTruth, rng *rand.Rand) (Losses, error) {
	if !m.Training() {
		m.Train(true)
	}
	out, err := m.Forward(images, targets, rng)
	return out.Losses, err
}

// Output is everything one pass computes.
type Output struct {
	// Losses in training mode.
	Losses Losses
	// RPN and RoI are the stages' own outputs (proposals, sampled RoIs,
	// raw predictions), for a mask head and for inspection.
	RPN rpn.Output
	RoI roi.Output
	// Features are the backbone's levels and FeatureNames their names.
	Features     []*tensor.Tensor
	FeatureNames []string
	// Detections in inference mode, in model input pixels (Predict maps
	// them to the original images).
	Detections []roi.Detections
}

// Forward runs the model in its current mode (nn's Train): with targets
// and rng in training, without in inference. Most callers want Loss or
// Predict.
func (m *GeneralizedRCNN) Forward(images ImageList, targets []roi.GroundTruth, rng *rand.Rand) (Output, error) {
	if err := images.check(); err != nil {
		return Output{}, err
	}
	training := m.Training()
	if training {
		if len(targets) != images.Len() {
			return Output{}, fmt.Errorf("detector: %d targets for %d images", len(targets), images.Len())
		}
		if rng == nil {
			return Output{}, fmt.Errorf("detector: training needs a random generator")
		}
		for i, t := range targets {
			if err := t.Check(m.NumClasses()); err != nil {
				return Output{}, fmt.Errorf("detector: image %d of the batch: %w", i, err)
			}
		}
	}
	feats, names := m.Features(images)
	out := Output{Features: feats, FeatureNames: names}
	in := rpn.Input{Features: feats, Padded: images.Padded(), Sizes: images.Sizes, Rand: rng}
	if training {
		in.GT = make([]box.Boxes, len(targets))
		for i, t := range targets {
			in.GT[i] = t.Boxes
		}
	}
	var err error
	if out.RPN, err = m.RPN.Forward(in); err != nil {
		return Output{}, err
	}
	props := make([]box.Boxes, len(out.RPN.Proposals))
	for i, p := range out.RPN.Proposals {
		props[i] = p.Boxes
	}
	rin := roi.Input{
		Features:  m.boxPooler.Select(feats, names),
		Proposals: props,
		Sizes:     images.Sizes,
		Rand:      rng,
	}
	if training {
		rin.GT = targets
	}
	if out.RoI, err = m.RoIHeads.Forward(rin); err != nil {
		return Output{}, err
	}
	out.Detections = out.RoI.Detections
	if training {
		out.Losses = Losses{RPN: out.RPN.Losses, RoI: out.RoI.Losses}
	}
	return out, nil
}

// Predict switches the model to eval mode and returns each image's
// detections, boxes in original-image pixels (ImageList.Original), without
// recording gradients.
func (m *GeneralizedRCNN) Predict(images ImageList) ([]roi.Detections, error) {
	m.Train(false)
	var out Output
	var err error
	tensor.NoGrad(func() { out, err = m.Forward(images, nil, nil) })
	if err != nil {
		return nil, err
	}
	dets := m.cfg.Post.toOriginal(out.Detections, images)
	if m.HasMasks() {
		m.pasteMasks(dets, images)
	}
	return dets, nil
}

// PredictBatch is Predict on a collated coco.Batch (its annotations are
// ignored): detections per sample, in the pixels of the original image
// files (undoing the resize and any flip).
func (m *GeneralizedRCNN) PredictBatch(b *coco.Batch) ([]roi.Detections, error) {
	images, _, err := FromBatch(b, m.NumClasses(), true)
	if err != nil {
		return nil, err
	}
	return m.Predict(images)
}
