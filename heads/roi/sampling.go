package roi

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/box"
)

// GroundTruth is one image's training targets.
type GroundTruth struct {
	// Boxes are XYXY in input pixels, [G*4].
	Boxes box.Boxes
	// Labels are the classes 1..K of the boxes, [G].
	Labels []int32
	// Masks are the instances' masks, [G] (Mask R-CNN training only).
	Masks []InstanceMask
}

// Len is the number of instances G.
func (g GroundTruth) Len() int { return len(g.Labels) }

// Check reports a malformed ground truth (lengths that disagree, labels
// outside 1..numClasses); the detector checks data before it gets here.
func (g GroundTruth) Check(numClasses int) error {
	if len(g.Boxes) != 4*len(g.Labels) {
		return fmt.Errorf("roi: %d box values for %d labels", len(g.Boxes), len(g.Labels))
	}
	for i, l := range g.Labels {
		if l < 1 || int(l) > numClasses {
			return fmt.Errorf("roi: instance %d has label %d outside 1..%d", i, l, numClasses)
		}
	}
	return nil
}

// Sampled are one image's training RoIs: the proposals (with the ground
// truth added) that the sampler picked, in ascending order of their index
// in that list.
type Sampled struct {
	// Boxes are the RoIs, [S*4].
	Boxes box.Boxes
	// Labels are the RoIs' classes, 0 for background, [S].
	Labels []int32
	// MatchedGT is the index of each RoI's ground truth, -1 for
	// background, [S].
	MatchedGT []int32
}

// Len is the number of sampled RoIs S.
func (s Sampled) Len() int { return len(s.Labels) }

// Foreground returns the positions of the foreground RoIs (label > 0).
func (s Sampled) Foreground() []int32 {
	var fg []int32
	for i, l := range s.Labels {
		if l > 0 {
			fg = append(fg, int32(i))
		}
	}
	return fg
}

// sampleProposals labels one image's proposals and samples them, as
// torchvision's select_training_samples and detectron2's
// label_and_sample_proposals: the ground truth is appended to the
// proposals (when addGT), each proposal is matched to the ground truth of
// highest IoU (foreground at IoU >= FgIoU, labeled with its class;
// background below BgIoU; ignored in between), and the sampler draws the
// foreground and background RoIs. An image without ground truth has only
// background RoIs.
func sampleProposals(proposals box.Boxes, gt GroundTruth, addGT bool, matcher box.Matcher, sampler box.Sampler, rng *rand.Rand) Sampled {
	if addGT && gt.Len() > 0 {
		proposals = append(proposals.Clone(), gt.Boxes...)
	}
	n, g := proposals.Len(), gt.Len()
	var quality []float32
	if g > 0 {
		quality = box.IoU(gt.Boxes, proposals)
	}
	matches := matcher.Match(quality, g, n)
	labels := make([]int32, n)
	for i, m := range matches {
		switch {
		case m >= 0:
			labels[i] = gt.Labels[m]
		case m == box.BelowLowThreshold:
			labels[i] = 0
		default:
			labels[i] = -1
		}
	}
	pos, neg := sampler.Sample(labels, rng)
	// Merge the two ascending lists (torchvision's where(pos | neg)).
	idx := make([]int32, 0, len(pos)+len(neg))
	for a, b := 0, 0; a < len(pos) || b < len(neg); {
		if b == len(neg) || (a < len(pos) && pos[a] < neg[b]) {
			idx = append(idx, pos[a])
			a++
		} else {
			idx = append(idx, neg[b])
			b++
		}
	}
	s := Sampled{Boxes: proposals.Select(idx), Labels: make([]int32, len(idx)), MatchedGT: make([]int32, len(idx))}
	for k, i := range idx {
		s.Labels[k] = labels[i]
		s.MatchedGT[k] = -1
		if labels[i] > 0 {
			s.MatchedGT[k] = matches[i]
		}
	}
	return s
}
