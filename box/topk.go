package box

import (
	"fmt"
	"slices"
)

// ArgsortDesc returns the permutation that orders scores from largest to
// smallest (NaN first), with equal scores in the order torch 1.13's
// scores.sort(descending=True) gives them on the CPU.
func ArgsortDesc(scores []float32) []int32 {
	s := scoredOf(scores)
	stdSort(s, 0, len(s))
	return indicesOf(s)
}

// ArgsortDescStable returns the permutation that orders scores from largest
// to smallest (NaN first), equal scores by ascending index: torch's
// scores.sort(stable=True, descending=True). torchvision 0.14's NMS kernel
// sorts this way.
func ArgsortDescStable(scores []float32) []int32 {
	s := scoredOf(scores)
	slices.SortFunc(s, func(a, b scored) int {
		switch {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return int(a.i - b.i)
	})
	return indicesOf(s)
}

// TopK returns the indices of the k largest scores, largest first, exactly as
// torch 1.13's scores.topk(k) (largest=True, sorted=True) returns them on the
// CPU, ties included. k is clamped to [0, len(scores)].
func TopK(scores []float32, k int) []int32 {
	n := len(scores)
	k = min(max(k, 0), n)
	if k == 0 {
		return []int32{}
	}
	if k*64 <= n {
		// std::partial_sort: heap of the first k, then each later element
		// that beats the root replaces it (popHeap onto its slot, which is
		// never read again, so the tail need not be materialized).
		s := scoredOf(scores[:k])
		makeHeap(s, 0, k)
		for i := k; i < n; i++ {
			if v := (scored{scores[i], int32(i)}); before(v, s[0]) {
				adjustHeap(s, 0, 0, k, v)
			}
		}
		sortHeap(s, 0, k)
		return indicesOf(s)
	}
	// std::nth_element, then std::sort of the first k-1.
	s := scoredOf(scores)
	nthElement(s, 0, k-1, n)
	stdSort(s, 0, k-1)
	return indicesOf(s[:k])
}

// TopKPerLevel selects, within each level's contiguous run of scores, the
// min(k, level size) highest (TopK, torch's order), as torchvision's RPN
// does before NMS (_get_top_n_idx). numPerLevel gives the runs' lengths
// (summing to len(scores)). It returns indices into scores, level by level,
// and the level of each.
func TopKPerLevel(scores []float32, numPerLevel []int, k int) (idx, levels []int32) {
	total := 0
	for _, n := range numPerLevel {
		total += n
	}
	if total != len(scores) {
		panic(fmt.Sprintf("box.TopKPerLevel: levels hold %d scores, got %d", total, len(scores)))
	}
	offset := 0
	for l, n := range numPerLevel {
		for _, i := range TopK(scores[offset:offset+n], k) {
			idx = append(idx, int32(offset)+i)
			levels = append(levels, int32(l))
		}
		offset += n
	}
	return idx, levels
}
