package roi

// Shapes: N images, R RoIs in the batch (image by image: the sampled RoIs
// in training, the proposals in inference), C channels, S x S pooled bins,
// F representation size, K foreground classes.
//
//	features[l]  [N, C, Hl, Wl]   pyramid levels the pooler reads (P2..P5)
//	pooled       [R, C, S, S]     Pooler
//	box features [R, F]           TwoMLPHead
//	logits       [R, K+1], deltas [R, 4(K+1)]   Predictor
//	training:    losses; inference: detections per image

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Pooler pools a fixed-size feature patch for every RoI: features are the
// levels it reads (finest first), boxes[i] image i's RoIs (XYXY input
// pixels) and sizes[i] its size. The result is [R, C, S, S], RoIs in image
// order, with gradients flowing to the features.
type Pooler interface {
	Pool(features []*tensor.Tensor, boxes []box.Boxes, sizes []rpn.ImageSize) *tensor.Tensor
}

// Heads is the RoI heads (torchvision's RoIHeads): children "box_head" and
// "box_predictor", and with AddMaskBranch "mask_head" and "mask_predictor";
// the poolers have no parameters. The mode comes from nn (Train(false) for inference).
type Heads struct {
	nn.Container
	BoxHead      *TwoMLPHead
	BoxPredictor *Predictor
	// MaskHead and MaskPredictor ("mask_head", "mask_predictor") are nil
	// unless AddMaskBranch made these Mask R-CNN's heads (mask_branch.go).
	MaskHead      *MaskHead
	MaskPredictor *MaskPredictor

	mask    *maskBranch
	pooler  Pooler
	cfg     Config
	coder   box.Coder
	matcher box.Matcher
	sampler box.Sampler
}

// New builds the box branch on a pooler whose output has inFeatures = C*S*S
// values per RoI; weights come from rng (box head first, then predictor).
func New(rng *rand.Rand, pooler Pooler, inFeatures int, cfg Config) (*Heads, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if inFeatures < 1 || pooler == nil {
		return nil, fmt.Errorf("roi: need a pooler and a positive feature size (got %d)", inFeatures)
	}
	matcher, err := box.NewMatcher(cfg.FgIoU, cfg.BgIoU, false)
	if err != nil {
		return nil, fmt.Errorf("roi: %w", err)
	}
	sampler, err := box.NewSampler(cfg.BatchSizePerImage, cfg.PositiveFraction)
	if err != nil {
		return nil, fmt.Errorf("roi: %w", err)
	}
	w := cfg.BoxWeights
	h := &Heads{pooler: pooler, cfg: cfg, matcher: matcher, sampler: sampler, coder: box.NewCoder(w[0], w[1], w[2], w[3])}
	h.BoxHead = nn.Register(&h.Container, "box_head", NewTwoMLPHead(rng, inFeatures, cfg.Representation, cfg.Init))
	h.BoxPredictor = nn.Register(&h.Container, "box_predictor", NewPredictor(rng, cfg.Representation, cfg.NumClasses, cfg.Init))
	return h, nil
}

// Config returns the configuration.
func (h *Heads) Config() Config { return h.cfg }

// Pooler returns the box pooler (a mask head may share its settings).
func (h *Heads) Pooler() Pooler { return h.pooler }

// Input is what one pass of the RoI heads needs.
type Input struct {
	// Features are the levels the pooler reads, [N, C, Hl, Wl].
	Features []*tensor.Tensor
	// Proposals are each image's RoIs (the RPN's boxes, no gradient).
	Proposals []box.Boxes
	// Sizes are the images' sizes in input pixels.
	Sizes []rpn.ImageSize
	// GT is each image's ground truth (training only).
	GT []GroundTruth
	// Rand draws the RoI samples (training only).
	Rand *rand.Rand
}

// Output is the result of one pass.
type Output struct {
	// Losses in training (zero value in inference).
	Losses Losses
	// Sampled are each image's training RoIs, for a mask head.
	Sampled []Sampled
	// Detections per image in inference.
	Detections []Detections
	// ClassLogits [R, K+1] and BoxDeltas [R, 4(K+1)] are the predictions
	// for the RoIs (sampled or proposed), for inspection and tests.
	ClassLogits, BoxDeltas *tensor.Tensor
}

// Forward runs the box branch: in training it samples RoIs and returns the
// losses; in inference it returns the detections. Inconsistent inputs
// (counts that disagree, missing ground truth in training) are programmer
// errors and panic; bad ground truth is an error.
func (h *Heads) Forward(in Input) (Output, error) {
	n := len(in.Proposals)
	if len(in.Sizes) != n {
		panic(fmt.Sprintf("roi.Heads.Forward: %d proposal lists for %d image sizes", n, len(in.Sizes)))
	}
	if !h.Training() {
		logits, deltas := h.Predict(in.Features, in.Proposals, in.Sizes)
		out := Output{
			Detections:  h.cfg.postprocess(logits, deltas, in.Proposals, in.Sizes, h.coder),
			ClassLogits: logits, BoxDeltas: deltas,
		}
		if h.mask != nil {
			h.predictMasks(in.Features, out.Detections, in.Sizes)
		}
		return out, nil
	}
	if len(in.GT) != n || in.Rand == nil {
		panic(fmt.Sprintf("roi.Heads.Forward: training needs ground truth for each of the %d images (got %d) and a random generator", n, len(in.GT)))
	}
	sampled := make([]Sampled, n)
	rois := make([]box.Boxes, n)
	for i := range n {
		if err := in.GT[i].Check(h.cfg.NumClasses); err != nil {
			return Output{}, fmt.Errorf("%w (image %d of the batch)", err, i)
		}
		sampled[i] = sampleProposals(in.Proposals[i], in.GT[i], h.cfg.AddGTProposals, h.matcher, h.sampler, in.Rand)
		rois[i] = sampled[i].Boxes
	}
	logits, deltas := h.Predict(in.Features, rois, in.Sizes)
	out := Output{
		Losses:      h.cfg.losses(logits, deltas, sampled, in.GT, h.coder),
		Sampled:     sampled,
		ClassLogits: logits, BoxDeltas: deltas,
	}
	if h.mask != nil {
		var err error
		if out.Losses.Mask, err = h.maskLoss(in, sampled); err != nil {
			return Output{}, err
		}
	}
	return out, nil
}

// Predict pools the features inside rois and returns the class logits
// [R, K+1] and box deltas [R, 4(K+1)].
func (h *Heads) Predict(features []*tensor.Tensor, rois []box.Boxes, sizes []rpn.ImageSize) (logits, deltas *tensor.Tensor) {
	pooled := h.pooler.Pool(features, rois, sizes)
	return h.BoxPredictor.Forward(h.BoxHead.Forward(pooled))
}

// Postprocess turns predictions for rois (as Predict returns them) into
// detections.
func (h *Heads) Postprocess(logits, deltas *tensor.Tensor, rois []box.Boxes, sizes []rpn.ImageSize) []Detections {
	return h.cfg.postprocess(logits, deltas, rois, sizes, h.coder)
}
