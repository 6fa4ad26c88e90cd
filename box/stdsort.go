package box

import "math/bits"

// This file reproduces the ordering torch 1.13's CPU kernels give to equal
// scores (and, in ArgsortDescStable, the stable order that torchvision's NMS
// kernel asks for). Tensor.sort (stable=false) runs libstdc++'s std::sort (introsort:
// median-of-three quicksort, heapsort when the depth budget runs out, a final
// insertion sort over runs of 16) on (value, index) pairs; Tensor.topk runs
// std::partial_sort when k*64 <= n and otherwise std::nth_element followed by
// std::sort of the first k-1 elements. None of these is stable, so which of
// two equal scores comes first depends on every swap the algorithm makes. The
// functions below are our own Go rendering of those algorithms, written from
// their published descriptions, with the same pivot choice, partition scheme
// and heap layout, so they produce the same permutation.
//
// The comparison is torch's descending one: a NaN comes before any number,
// otherwise larger first.

// scored is one (value, original index) pair being ordered.
type scored struct {
	v float32
	i int32
}

// before reports whether a is ordered before b (descending, NaN first).
func before(a, b scored) bool {
	return (a.v != a.v && b.v == b.v) || a.v > b.v
}

// sortThreshold is libstdc++'s _S_threshold: ranges at most this long are
// left to the final insertion sort.
const sortThreshold = 16

func log2Floor(n int) int { return bits.Len(uint(n)) - 1 }

// stdSort orders s[first:last] as std::sort does.
func stdSort(s []scored, first, last int) {
	if last-first < 2 {
		return
	}
	introsortLoop(s, first, last, 2*log2Floor(last-first))
	finalInsertionSort(s, first, last)
}

func introsortLoop(s []scored, first, last, depth int) {
	for last-first > sortThreshold {
		if depth == 0 {
			partialSort(s, first, last, last)
			return
		}
		depth--
		cut := unguardedPartitionPivot(s, first, last)
		introsortLoop(s, cut, last, depth)
		last = cut
	}
}

func unguardedPartitionPivot(s []scored, first, last int) int {
	mid := first + (last-first)/2
	moveMedianToFirst(s, first, first+1, mid, last-1)
	return unguardedPartition(s, first+1, last, first)
}

// moveMedianToFirst swaps the median of s[a], s[b], s[c] into s[result].
func moveMedianToFirst(s []scored, result, a, b, c int) {
	switch {
	case before(s[a], s[b]):
		switch {
		case before(s[b], s[c]):
			s[result], s[b] = s[b], s[result]
		case before(s[a], s[c]):
			s[result], s[c] = s[c], s[result]
		default:
			s[result], s[a] = s[a], s[result]
		}
	case before(s[a], s[c]):
		s[result], s[a] = s[a], s[result]
	case before(s[b], s[c]):
		s[result], s[c] = s[c], s[result]
	default:
		s[result], s[b] = s[b], s[result]
	}
}

// unguardedPartition is Hoare's partition of s[first:last] around s[pivot],
// relying on sentinels (no bounds tests), as libstdc++ does.
func unguardedPartition(s []scored, first, last, pivot int) int {
	for {
		for before(s[first], s[pivot]) {
			first++
		}
		last--
		for before(s[pivot], s[last]) {
			last--
		}
		if first >= last {
			return first
		}
		s[first], s[last] = s[last], s[first]
		first++
	}
}

func finalInsertionSort(s []scored, first, last int) {
	if last-first > sortThreshold {
		insertionSort(s, first, first+sortThreshold)
		for i := first + sortThreshold; i < last; i++ {
			unguardedLinearInsert(s, i)
		}
		return
	}
	insertionSort(s, first, last)
}

func insertionSort(s []scored, first, last int) {
	if first == last {
		return
	}
	for i := first + 1; i < last; i++ {
		if before(s[i], s[first]) {
			v := s[i]
			copy(s[first+1:i+1], s[first:i])
			s[first] = v
		} else {
			unguardedLinearInsert(s, i)
		}
	}
}

func unguardedLinearInsert(s []scored, last int) {
	v := s[last]
	next := last - 1
	for before(v, s[next]) {
		s[last] = s[next]
		last = next
		next--
	}
	s[last] = v
}

// Heap operations on the range starting at first, with heap indices relative
// to first (a max-heap under before: the root is the element ordered last).

func adjustHeap(s []scored, first, hole, n int, v scored) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if before(s[first+child], s[first+child-1]) {
			child--
		}
		s[first+hole] = s[first+child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		s[first+hole] = s[first+child-1]
		hole = child - 1
	}
	pushHeap(s, first, hole, top, v)
}

func pushHeap(s []scored, first, hole, top int, v scored) {
	parent := (hole - 1) / 2
	for hole > top && before(s[first+parent], v) {
		s[first+hole] = s[first+parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	s[first+hole] = v
}

func makeHeap(s []scored, first, last int) {
	n := last - first
	if n < 2 {
		return
	}
	for parent := (n - 2) / 2; ; parent-- {
		adjustHeap(s, first, parent, n, s[first+parent])
		if parent == 0 {
			return
		}
	}
}

func popHeap(s []scored, first, last, result int) {
	v := s[result]
	s[result] = s[first]
	adjustHeap(s, first, 0, last-first, v)
}

func heapSelect(s []scored, first, middle, last int) {
	makeHeap(s, first, middle)
	for i := middle; i < last; i++ {
		if before(s[i], s[first]) {
			popHeap(s, first, middle, i)
		}
	}
}

func sortHeap(s []scored, first, last int) {
	for last-first > 1 {
		last--
		popHeap(s, first, last, last)
	}
}

// partialSort is std::partial_sort: s[first:middle] ends up holding the
// middle-first elements ordered first, in order.
func partialSort(s []scored, first, middle, last int) {
	heapSelect(s, first, middle, last)
	sortHeap(s, first, middle)
}

// nthElement is std::nth_element (introselect).
func nthElement(s []scored, first, nth, last int) {
	if first == last || nth == last {
		return
	}
	depth := 2 * log2Floor(last-first)
	for last-first > 3 {
		if depth == 0 {
			heapSelect(s, first, nth+1, last)
			s[first], s[nth] = s[nth], s[first]
			return
		}
		depth--
		cut := unguardedPartitionPivot(s, first, last)
		if cut <= nth {
			first = cut
		} else {
			last = cut
		}
	}
	insertionSort(s, first, last)
}

func scoredOf(scores []float32) []scored {
	s := make([]scored, len(scores))
	for i, v := range scores {
		s[i] = scored{v, int32(i)}
	}
	return s
}

func indicesOf(s []scored) []int32 {
	out := make([]int32, len(s))
	for i, e := range s {
		out[i] = e.i
	}
	return out
}
