package box

import (
	"fmt"
	"math"
	"slices"
)

// NMS performs non-maximum suppression and returns the indices of the boxes
// it keeps, in decreasing order of score.
//
// It reproduces torchvision 0.14's CPU kernel exactly: boxes are visited in
// decreasing order of score, equal scores by ascending index (the kernel's
// stable sort, ArgsortDescStable); each box not yet suppressed is kept and
// suppresses every later box whose IoU with it is > iouThreshold, the IoU
// computed in float32 (no +1) and compared in float64. Boxes and scores
// must be finite.
//
// Cost is O(N log N) for the sort plus, for each kept box, one pass over the
// boxes still alive after it (O(N^2) when little is suppressed): suppressed
// boxes are dropped from the list at once (torchvision revisits them), pairs
// that do not intersect stop after four min/max, and the float64 threshold
// test is one float32 comparison (suppressFrom).
func NMS(boxes Boxes, scores []float32, iouThreshold float64) []int32 {
	n := boxes.Len()
	if len(scores) != n {
		panic(fmt.Sprintf("box.NMS: %d scores for %d boxes", len(scores), n))
	}
	if n == 0 {
		return []int32{}
	}
	return nmsOrdered(boxes, ArgsortDescStable(scores), iouThreshold)
}

// nmsOrdered runs the suppression over boxes[order[0]], boxes[order[1]], ...
// and returns the kept indices (values of order).
//
// The boxes still alive are kept packed, in visiting order, as a structure
// of arrays: each pass over them (one per kept box) writes back only the
// survivors, so a suppressed box costs nothing afterwards.
func nmsOrdered(boxes Boxes, order []int32, thr float64) []int32 {
	n := len(order)
	buf := make([]float32, 5*n)
	x1, y1, x2, y2, area := buf[:n], buf[n:2*n], buf[2*n:3*n], buf[3*n:4*n], buf[4*n:]
	idx := make([]int32, n)
	for k, i := range order {
		x1[k], y1[k], x2[k], y2[k] = boxes.At(int(i))
		area[k] = float32((x2[k] - x1[k]) * (y2[k] - y1[k]))
		idx[k] = i
	}
	t, never := suppressFrom(thr)
	keep := make([]int32, 0, min(n, 1024))
	if never {
		return append(keep, idx...)
	}
	for len(x1) > 0 {
		// Equal lengths let the compiler drop the bounds checks below.
		alive := len(x1)
		y1, x2, y2, area, idx = y1[:alive], x2[:alive], y2[:alive], area[:alive], idx[:alive]
		keep = append(keep, idx[0])
		ix1, iy1, ix2, iy2, ia := x1[0], y1[0], x2[0], y2[0], area[0]
		w := 0
		for k := 1; k < alive; k++ {
			iw := min(ix2, x2[k]) - max(ix1, x1[k])
			ih := min(iy2, y2[k]) - max(iy1, y1[k])
			if iw > 0 && ih > 0 {
				inter := float32(iw * ih)
				if inter/(ia+area[k]-inter) >= t {
					continue
				}
			} else if thr < 0 {
				// Disjoint: torchvision's IoU is 0/(ia+ak), which is above
				// a negative threshold unless it is NaN.
				if 0/(ia+area[k]) >= t {
					continue
				}
			}
			if w != k {
				x1[w], y1[w], x2[w], y2[w], area[w], idx[w] = x1[k], y1[k], x2[k], y2[k], area[k], idx[k]
			}
			w++
		}
		x1, y1, x2, y2, area, idx = x1[:w], y1[:w], x2[:w], y2[:w], area[:w], idx[:w]
	}
	return keep
}

// suppressFrom returns the smallest float32 t with float64(t) > thr, so that
// for a float32 IoU q, float64(q) > thr (torchvision's test) is q >= t: one
// float32 comparison. never is true when no float32 IoU can exceed thr.
func suppressFrom(thr float64) (t float32, never bool) {
	if math.IsNaN(thr) || math.IsInf(thr, 1) {
		return 0, true
	}
	t = float32(thr)
	if float64(t) <= thr {
		t = math.Nextafter32(t, float32(math.Inf(1)))
	}
	return t, false
}

// BatchedNMS performs NMS independently for each class (boxes of different
// classes never suppress each other) and returns the kept indices in
// decreasing order of score.
//
// It follows torchvision 0.14's batched_nms on the CPU exactly, including
// its choice of strategy: BatchedNMSPerClass above 1000 boxes,
// BatchedNMSCoordinateTrick otherwise. The two keep the same boxes except
// in float32 rounding corner cases of the trick, and may order equal scores
// differently.
func BatchedNMS(boxes Boxes, scores []float32, classes []int32, iouThreshold float64) []int32 {
	if boxes.Len() > 1000 {
		return BatchedNMSPerClass(boxes, scores, classes, iouThreshold)
	}
	return BatchedNMSCoordinateTrick(boxes, scores, classes, iouThreshold)
}

func checkBatched(op string, boxes Boxes, scores []float32, classes []int32) int {
	n := boxes.Len()
	if len(scores) != n || len(classes) != n {
		panic(fmt.Sprintf("box.%s: %d boxes, %d scores, %d classes", op, n, len(scores), len(classes)))
	}
	return n
}

// BatchedNMSPerClass runs NMS on each class's boxes separately (classes in
// ascending order, each class's boxes in ascending index order) and orders
// the union of the kept boxes by score, as torchvision's
// _batched_nms_vanilla.
func BatchedNMSPerClass(boxes Boxes, scores []float32, classes []int32, iouThreshold float64) []int32 {
	n := checkBatched("BatchedNMSPerClass", boxes, scores, classes)
	if n == 0 {
		return []int32{}
	}
	// Group indices by class, ascending within each group.
	byClass := make([]int32, n)
	for i := range byClass {
		byClass[i] = int32(i)
	}
	slices.SortStableFunc(byClass, func(a, b int32) int { return int(classes[a]) - int(classes[b]) })
	keepMask := make([]bool, n)
	var sub []float32
	for start := 0; start < n; {
		end := start + 1
		for end < n && classes[byClass[end]] == classes[byClass[start]] {
			end++
		}
		idx := byClass[start:end]
		sub = sub[:0]
		for _, i := range idx {
			sub = append(sub, scores[i])
		}
		order := ArgsortDescStable(sub)
		for k, p := range order {
			order[k] = idx[p]
		}
		for _, i := range nmsOrdered(boxes, order, iouThreshold) {
			keepMask[i] = true
		}
		start = end
	}
	var kept []int32
	sub = sub[:0]
	for i, k := range keepMask {
		if k {
			kept = append(kept, int32(i))
			sub = append(sub, scores[i])
		}
	}
	// torchvision orders the union with Tensor.sort, which is not stable.
	out := ArgsortDesc(sub)
	for k, p := range out {
		out[k] = kept[p]
	}
	return out
}

// BatchedNMSCoordinateTrick shifts each class's boxes by class*(max
// coordinate + 1) so that boxes of different classes cannot overlap, then
// runs a single NMS, as torchvision's _batched_nms_coordinate_trick (all in
// float32).
func BatchedNMSCoordinateTrick(boxes Boxes, scores []float32, classes []int32, iouThreshold float64) []int32 {
	n := checkBatched("BatchedNMSCoordinateTrick", boxes, scores, classes)
	if n == 0 {
		return []int32{}
	}
	maxc := slices.Max(boxes)
	step := maxc + 1
	shifted := make(Boxes, len(boxes))
	for i := range n {
		off := float32(float32(classes[i]) * step)
		for c := 4 * i; c < 4*i+4; c++ {
			shifted[c] = boxes[c] + off
		}
	}
	return NMS(shifted, scores, iouThreshold)
}
