package box

import "fmt"

// IoU returns the pairwise intersection over union of a (N boxes) and b (M
// boxes) as a row-major [N*M] matrix: element i*M+j is IoU(a_i, b_j).
//
// Semantics are torchvision's box_iou: areas without +1, intersection
// clamped at 0, union = area_a + area_b - inter, all in float32 in that
// order. Two boxes of zero area that do not overlap give 0/0 = NaN, as in
// torchvision.
func IoU(a, b Boxes) []float32 {
	out := make([]float32, a.Len()*b.Len())
	IoUInto(out, a, b)
	return out
}

// IoUInto is IoU writing into dst, which must hold a.Len()*b.Len() values.
func IoUInto(dst []float32, a, b Boxes) {
	n, m := a.Len(), b.Len()
	if len(dst) != n*m {
		panic(fmt.Sprintf("box.IoUInto: dst has %d values, want %d*%d", len(dst), n, m))
	}
	areaB := b.Area()
	for i := range n {
		ax1, ay1, ax2, ay2 := a.At(i)
		areaA := float32((ax2 - ax1) * (ay2 - ay1))
		row := dst[i*m : (i+1)*m]
		for j := range row {
			w := min(ax2, b[4*j+2]) - max(ax1, b[4*j])
			h := min(ay2, b[4*j+3]) - max(ay1, b[4*j+1])
			w = max(w, 0)
			h = max(h, 0)
			inter := float32(w * h)
			row[j] = inter / float32(areaA+areaB[j]-inter)
		}
	}
}
