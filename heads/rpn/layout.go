package rpn

// Shapes: N images, L levels, T = sum over levels of Hl*Wl*A anchors.
//
//	objectness[l] [N, A, Hl, Wl]    -> [N, Hl*Wl*A] -> concat -> [N, T]
//	deltas[l]     [N, 4A, Hl, Wl]   -> [N, Hl*Wl*A, 4] -> concat -> [N, T, 4]
//
// The flattened order (level, row y, column x, anchor a) is the order of the
// anchors (anchors.go), so anchor i of the concatenation goes with column i.

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor"
)

// Flatten brings the head's per-level outputs into the anchors' order:
// objectness [N, T] and deltas [N, T, 4]. It also returns the number of
// anchors of each level (Hl*Wl*A). Gradients flow through it.
func Flatten(objectness, deltas []*tensor.Tensor) (obj, del *tensor.Tensor, perLevel []int) {
	if len(objectness) != len(deltas) || len(objectness) == 0 {
		panic(fmt.Sprintf("rpn.Flatten: %d objectness maps and %d delta maps", len(objectness), len(deltas)))
	}
	objs := make([]*tensor.Tensor, len(objectness))
	dels := make([]*tensor.Tensor, len(deltas))
	for l := range objectness {
		o, d := objectness[l], deltas[l]
		os, ds := o.Shape(), d.Shape()
		if o.Dims() != 4 || d.Dims() != 4 || ds[0] != os[0] || ds[1] != 4*os[1] || ds[2] != os[2] || ds[3] != os[3] {
			panic(fmt.Sprintf("rpn.Flatten: level %d objectness %v and deltas %v do not form [N, A, H, W] and [N, 4A, H, W]", l, os, ds))
		}
		n, a, h, w := os[0], os[1], os[2], os[3]
		objs[l] = tensor.Reshape(tensor.Permute(o, 0, 2, 3, 1), n, h*w*a)
		dels[l] = tensor.Reshape(tensor.Permute(tensor.Reshape(d, n, a, 4, h, w), 0, 3, 4, 1, 2), n, h*w*a, 4)
		perLevel = append(perLevel, h*w*a)
	}
	if len(objs) == 1 {
		return objs[0], dels[0], perLevel
	}
	return tensor.Concat(1, objs...), tensor.Concat(1, dels...), perLevel
}
