package box

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Sampler draws a fixed-size training batch of predictions per image with
// at most a given fraction of positives, as torchvision's
// BalancedPositiveNegativeSampler and detectron2's subsample_labels:
//
//	numPos = min(#positives, int(BatchSizePerImage * PositiveFraction))
//	numNeg = min(#negatives, BatchSizePerImage - numPos)
//
// and each is drawn uniformly without replacement. The RPN uses 256 and 0.5,
// the RoI head 512 and 0.25.
//
// The draws come from the *rand.Rand passed in, so a seed reproduces them;
// they differ from torch's randperm draws (only the distribution matches).
type Sampler struct {
	BatchSizePerImage int
	PositiveFraction  float64
}

// NewSampler returns a Sampler, or an error for a negative batch size or a
// fraction outside [0, 1] (both come from configuration).
func NewSampler(batchSizePerImage int, positiveFraction float64) (Sampler, error) {
	if batchSizePerImage < 0 {
		return Sampler{}, fmt.Errorf("box.NewSampler: batch size per image %d is negative", batchSizePerImage)
	}
	if !(positiveFraction >= 0 && positiveFraction <= 1) {
		return Sampler{}, fmt.Errorf("box.NewSampler: positive fraction %v is outside [0, 1]", positiveFraction)
	}
	return Sampler{BatchSizePerImage: batchSizePerImage, PositiveFraction: positiveFraction}, nil
}

// Sample picks from labels (one per prediction: >= 1 positive, 0 negative,
// < 0 ignored, e.g. a Matcher's output mapped to class labels) and returns
// the chosen positive and negative indices, each in ascending order (the
// order of torchvision's masks).
func (s Sampler) Sample(labels []int32, rng *rand.Rand) (pos, neg []int32) {
	var positive, negative []int32
	for i, l := range labels {
		switch {
		case l >= 1:
			positive = append(positive, int32(i))
		case l == 0:
			negative = append(negative, int32(i))
		}
	}
	numPos := min(len(positive), int(float64(s.BatchSizePerImage)*s.PositiveFraction))
	numNeg := min(len(negative), s.BatchSizePerImage-numPos)
	return choose(positive, numPos, rng), choose(negative, numNeg, rng)
}

// choose returns k elements of from drawn uniformly without replacement, in
// ascending order. It shuffles a prefix of from in place (partial
// Fisher-Yates).
func choose(from []int32, k int, rng *rand.Rand) []int32 {
	k = max(k, 0)
	for i := range k {
		j := i + rng.IntN(len(from)-i)
		from[i], from[j] = from[j], from[i]
	}
	out := append([]int32{}, from[:k]...)
	slices.Sort(out)
	return out
}
