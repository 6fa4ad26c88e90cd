package box

import "fmt"

// Values a Matcher writes for predictions without a ground-truth match.
const (
	BelowLowThreshold = -1 // best quality < low threshold: background
	BetweenThresholds = -2 // low <= best quality < high: ignored in training
)

// Matcher assigns to each prediction (anchor or proposal) the ground-truth
// box it overlaps most, when that overlap is good enough, as torchvision's
// Matcher:
//
//   - best quality >= High: the index of the best ground truth (the first
//     one among equals);
//   - Low <= best quality < High: BetweenThresholds;
//   - best quality < Low: BelowLowThreshold.
//
// With AllowLowQuality, every prediction whose quality equals the highest
// quality of some ground truth (all predictions tied at that maximum, even
// when it is low) gets its best ground truth back, so no ground truth is
// left without a match (the RPN uses this; the RoI head does not).
//
// A ground truth that overlaps no prediction at all has highest quality 0,
// so with AllowLowQuality every prediction of quality 0 is "tied at its
// maximum" and gets matched (to its own best ground truth). torchvision and
// detectron2 both do this; callers should drop ground truth outside the
// image (or of zero area) first.
//
// Thresholds are compared in float32, as torch compares a float32 tensor with
// a Python float. detectron2's Matcher([0.3, 0.7], [0, -1, 1]) labels the
// same predictions and is equivalent.
type Matcher struct {
	High, Low       float32
	AllowLowQuality bool
}

// NewMatcher returns a Matcher, or an error if low > high (thresholds come
// from configuration).
func NewMatcher(high, low float64, allowLowQuality bool) (Matcher, error) {
	if low > high {
		return Matcher{}, fmt.Errorf("box.NewMatcher: low threshold %v is above high threshold %v", low, high)
	}
	return Matcher{High: float32(high), Low: float32(low), AllowLowQuality: allowLowQuality}, nil
}

// Match returns, for each of numPred predictions, the index of its matched
// ground truth in [0, numGT) or BelowLowThreshold / BetweenThresholds.
// quality is the row-major [numGT*numPred] match quality matrix, such as
// IoU(gtBoxes, predBoxes).
//
// With no ground truth (numGT == 0) every prediction is BelowLowThreshold
// (background), as detectron2 does; torchvision raises there and its callers
// special-case empty images. Quality values are expected to be finite.
func (m Matcher) Match(quality []float32, numGT, numPred int) []int32 {
	if len(quality) != numGT*numPred {
		panic(fmt.Sprintf("box.Matcher.Match: quality has %d values, want %d*%d", len(quality), numGT, numPred))
	}
	matches := make([]int32, numPred)
	if numPred == 0 {
		return matches
	}
	if numGT == 0 {
		for i := range matches {
			matches[i] = BelowLowThreshold
		}
		return matches
	}
	// Best ground truth for each prediction: first row wins among equals.
	best := make([]float32, numPred)
	copy(best, quality[:numPred])
	for g := 1; g < numGT; g++ {
		row := quality[g*numPred : (g+1)*numPred]
		for p, q := range row {
			if q > best[p] {
				best[p] = q
				matches[p] = int32(g)
			}
		}
	}
	var all []int32
	if m.AllowLowQuality {
		all = append([]int32(nil), matches...)
	}
	for p, q := range best {
		switch {
		case q < m.Low:
			matches[p] = BelowLowThreshold
		case q < m.High:
			matches[p] = BetweenThresholds
		}
	}
	if m.AllowLowQuality {
		for g := range numGT {
			row := quality[g*numPred : (g+1)*numPred]
			top := row[0]
			for _, q := range row[1:] {
				top = max(top, q)
			}
			for p, q := range row {
				if q == top {
					matches[p] = all[p]
				}
			}
		}
	}
	return matches
}
