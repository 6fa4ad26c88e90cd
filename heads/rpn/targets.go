package rpn

import (
	"math/rand/v2"

	"github.com/gcdet/gcdet/box"
)

// anchorTargets are one image's training anchors: the sampled foreground
// and background anchors and the regression targets of the foreground.
type anchorTargets struct {
	pos, neg []int32   // anchor indices, ascending
	deltas   []float32 // [len(pos)*4]: each positive anchor's matched ground truth, encoded
}

// labelAnchors matches anchors to the ground-truth boxes gt and samples
// them, as torchvision's assign_targets_to_anchors + fg_bg_sampler and
// detectron2's label_and_sample_anchors do:
//
//   - IoU >= FgIoU with some ground truth, or being among the anchors of
//     highest IoU with some ground truth (low-quality matches), is
//     foreground (label 1), matched to the ground truth it overlaps most;
//   - IoU < BgIoU with every ground truth is background (0);
//   - anything else is ignored (-1);
//   - an image without ground truth has only background anchors.
//
// Then at most BatchSizePerImage anchors are drawn from rng, at most
// PositiveFraction of them foreground.
func labelAnchors(anchors, gt box.Boxes, matcher box.Matcher, sampler box.Sampler, coder box.Coder, rng *rand.Rand) anchorTargets {
	return sampleAnchors(matchAnchors(anchors, gt, matcher), anchors, gt, sampler, coder, rng)
}

// matchAnchors returns each anchor's matched ground truth (or the
// matcher's negative codes). It draws nothing, so images can be matched
// concurrently.
func matchAnchors(anchors, gt box.Boxes, matcher box.Matcher) []int32 {
	nA, nG := anchors.Len(), gt.Len()
	var quality []float32
	if nG > 0 {
		quality = box.IoU(gt, anchors)
	}
	return matcher.Match(quality, nG, nA)
}

// sampleAnchors labels anchors from their matches, draws the sample from
// rng and encodes the foreground's regression targets.
func sampleAnchors(matches []int32, anchors, gt box.Boxes, sampler box.Sampler, coder box.Coder, rng *rand.Rand) anchorTargets {
	labels := make([]int32, len(matches))
	for i, m := range matches {
		switch {
		case m >= 0:
			labels[i] = 1
		case m == box.BelowLowThreshold:
			labels[i] = 0
		default:
			labels[i] = -1
		}
	}
	pos, neg := sampler.Sample(labels, rng)
	t := anchorTargets{pos: pos, neg: neg}
	if len(pos) > 0 {
		matched := make(box.Boxes, 4*len(pos))
		for k, i := range pos {
			g := matches[i]
			copy(matched[4*k:4*k+4], gt[4*g:4*g+4])
		}
		t.deltas = coder.Encode(matched, anchors.Select(pos))
	}
	return t
}
