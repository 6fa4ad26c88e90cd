package rpn

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/box"
)

// ImageSize is an image's height and width in input pixels: the part of
// the padded batch the image covers.
type ImageSize struct{ H, W int }

// Proposals are one image's region proposals, in decreasing objectness.
type Proposals struct {
	// Boxes are XYXY in input pixels, clipped to the image.
	Boxes box.Boxes
	// Objectness is each box's objectness probability (sigmoid of the
	// logit).
	Objectness []float32
}

// Len is the number of proposals.
func (p Proposals) Len() int { return len(p.Objectness) }

// selectParams are the proposal-selection settings of one mode.
type selectParams struct {
	preNMS, postNMS int
	nms             float64
	minSize         float32
	strictMinSize   bool
	scoreThresh     float32
	// failNonFinite makes a non-finite box or score an error (training,
	// as detectron2 raises FloatingPointError); otherwise such proposals
	// are dropped.
	failNonFinite bool
}

func (c Config) selectParams(training bool) selectParams {
	return selectParams{
		preNMS:        c.PreNMSTopN.Get(training),
		postNMS:       c.PostNMSTopN.Get(training),
		nms:           c.NMSThresh,
		minSize:       c.MinSize,
		strictMinSize: c.StrictMinSize,
		scoreThresh:   c.ScoreThresh,
		failNonFinite: training,
	}
}

// selectProposals picks one image's proposals, as torchvision's
// filter_proposals and detectron2's find_top_rpn_proposals do:
//
//  1. per level, the preNMS anchors of highest objectness logit (torch's
//     topk order);
//  2. their boxes decoded from the deltas, objectness turned into
//     probabilities;
//  3. boxes clipped to the image, small boxes and low scores dropped;
//  4. NMS per level (batched NMS with the level as class), then the
//     postNMS best of the image.
//
// logits is the image's [T] row of objectness, deltas its [T*4] row,
// anchors the [T*4] anchors of all levels, perLevel the anchors per level.
func selectProposals(logits, deltas []float32, anchors box.Boxes, perLevel []int, size ImageSize, coder box.Coder, p selectParams) (Proposals, error) {
	idx, levels := box.TopKPerLevel(logits, perLevel, p.preNMS)
	sel := make([]float32, 4*len(idx))
	for k, i := range idx {
		copy(sel[4*k:4*k+4], deltas[4*i:4*i+4])
	}
	boxes := box.Boxes(coder.Decode(sel, anchors.Select(idx)))
	scores := make([]float32, len(idx))
	for k, i := range idx {
		scores[k] = sigmoid(logits[i])
	}

	// Non-finite values come from a diverging model: an error in training,
	// dropped in inference.
	keep := make([]int32, 0, len(idx))
	for k := range idx {
		if finite(scores[k]) && finite(boxes[4*k]) && finite(boxes[4*k+1]) && finite(boxes[4*k+2]) && finite(boxes[4*k+3]) {
			keep = append(keep, int32(k))
		} else if p.failNonFinite {
			return Proposals{}, fmt.Errorf("rpn: non-finite proposal box or objectness (objectness logit %v, box %v) while training: the loss diverged", logits[idx[k]], []float32(boxes[4*k:4*k+4]))
		}
	}
	if len(keep) < len(idx) {
		boxes, scores, levels = boxes.Select(keep), selectF(scores, keep), selectI(levels, keep)
	}

	boxes.Clip(float32(size.H), float32(size.W))
	if p.strictMinSize {
		keep = boxes.Nonempty(p.minSize)
	} else {
		keep = boxes.RemoveSmall(p.minSize)
	}
	// Torchvision keeps scores >= the threshold (0 by default: all).
	if p.scoreThresh > 0 {
		k := 0
		for _, i := range keep {
			if scores[i] >= p.scoreThresh {
				keep[k] = i
				k++
			}
		}
		keep = keep[:k]
	}
	if len(keep) < boxes.Len() {
		boxes, scores, levels = boxes.Select(keep), selectF(scores, keep), selectI(levels, keep)
	}

	keep = box.BatchedNMS(boxes, scores, levels, p.nms)
	if len(keep) > p.postNMS {
		keep = keep[:p.postNMS]
	}
	return Proposals{Boxes: boxes.Select(keep), Objectness: selectF(scores, keep)}, nil
}

// sigmoid is 1/(1+exp(-x)) rounded to float32.
func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func selectF(v []float32, idx []int32) []float32 {
	out := make([]float32, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}

func selectI(v []int32, idx []int32) []int32 {
	out := make([]int32, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
