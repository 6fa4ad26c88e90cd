package box

import "fmt"

// Boxes is a list of N boxes stored flat as N*4 float32 values, each box
// (x1, y1, x2, y2) in absolute pixels with x1 <= x2 and y1 <= y2 expected.
// A []float32 converts to Boxes implicitly, so callers can pass plain slices.
//
// Methods that return a Boxes return a new slice; methods named ...InPlace
// (and Clip) modify the receiver.
type Boxes []float32

// Len returns the number of boxes. It panics if len(b) is not a multiple of 4.
func (b Boxes) Len() int {
	if len(b)%4 != 0 {
		panic(fmt.Sprintf("box.Boxes: length %d is not a multiple of 4", len(b)))
	}
	return len(b) / 4
}

// At returns box i.
func (b Boxes) At(i int) (x1, y1, x2, y2 float32) {
	return b[4*i], b[4*i+1], b[4*i+2], b[4*i+3]
}

// Clone returns a copy of b.
func (b Boxes) Clone() Boxes { return append(Boxes(nil), b...) }

// Area returns (x2-x1)*(y2-y1) for each box, as torchvision's box_area (no +1).
func (b Boxes) Area() []float32 {
	out := make([]float32, b.Len())
	for i := range out {
		out[i] = float32((b[4*i+2] - b[4*i]) * (b[4*i+3] - b[4*i+1]))
	}
	return out
}

// Clip clamps every box to the image of the given height and width in place:
// x into [0, width], y into [0, height], as torchvision's clip_boxes_to_image
// and detectron2's Boxes.clip.
func (b Boxes) Clip(height, width float32) {
	b.Len()
	for i := 0; i < len(b); i += 4 {
		b[i] = clamp(b[i], width)
		b[i+1] = clamp(b[i+1], height)
		b[i+2] = clamp(b[i+2], width)
		b[i+3] = clamp(b[i+3], height)
	}
}

func clamp(v, hi float32) float32 {
	// torch.clamp(min=0, max=hi): max first, then min.
	if v < 0 {
		v = 0
	}
	if v > hi {
		v = hi
	}
	return v
}

// RemoveSmall returns the indices (ascending) of the boxes whose width and
// height are both >= minSize, as torchvision's remove_small_boxes.
func (b Boxes) RemoveSmall(minSize float32) []int32 {
	keep := []int32{}
	for i := range b.Len() {
		if b[4*i+2]-b[4*i] >= minSize && b[4*i+3]-b[4*i+1] >= minSize {
			keep = append(keep, int32(i))
		}
	}
	return keep
}

// Nonempty returns the indices (ascending) of the boxes whose width and
// height are both > threshold, as detectron2's Boxes.nonempty (threshold 0
// there by default). Note the strict comparison, unlike RemoveSmall.
func (b Boxes) Nonempty(threshold float32) []int32 {
	keep := []int32{}
	for i := range b.Len() {
		if b[4*i+2]-b[4*i] > threshold && b[4*i+3]-b[4*i+1] > threshold {
			keep = append(keep, int32(i))
		}
	}
	return keep
}

// Select returns the boxes at the given indices, in that order.
func (b Boxes) Select(idx []int32) Boxes {
	n := b.Len()
	out := make(Boxes, 4*len(idx))
	for k, i := range idx {
		if i < 0 || int(i) >= n {
			panic(fmt.Sprintf("box.Boxes.Select: index %d out of range [0, %d)", i, n))
		}
		copy(out[4*k:4*k+4], b[4*i:4*i+4])
	}
	return out
}

// ScaleInPlace multiplies x coordinates by sx and y coordinates by sy, as when
// mapping boxes between a resized image and the original (torchvision's
// resize_boxes multiplies by the ratio of sizes).
func (b Boxes) ScaleInPlace(sx, sy float32) {
	b.Len()
	for i := 0; i < len(b); i += 4 {
		b[i] *= sx
		b[i+1] *= sy
		b[i+2] *= sx
		b[i+3] *= sy
	}
}

// FromXYWH converts boxes given as (x, y, width, height), COCO's format, to
// XYXY: (x, y, x+width, y+height).
func FromXYWH(xywh []float32) Boxes {
	out := make(Boxes, len(xywh))
	copy(out, xywh)
	out.Len()
	for i := 0; i < len(out); i += 4 {
		out[i+2] += out[i]
		out[i+3] += out[i+1]
	}
	return out
}

// XYWH converts the boxes to (x, y, width, height).
func (b Boxes) XYWH() []float32 {
	out := make([]float32, len(b))
	copy(out, b)
	b.Len()
	for i := 0; i < len(out); i += 4 {
		out[i+2] -= out[i]
		out[i+3] -= out[i+1]
	}
	return out
}
