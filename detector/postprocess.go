package detector

import "github.com/gcdet/gcdet/heads/roi"

// toOriginal maps detections from model-input pixels to the original
// images: mirrored back for flipped images, then scaled by
// original/input size per axis in float32 (torchvision's resize_boxes),
// and with ClipToOriginal clipped to the original image with empty boxes
// dropped (detectron2's detector_postprocess).
func (c PostprocessConfig) toOriginal(dets []roi.Detections, images ImageList) []roi.Detections {
	out := make([]roi.Detections, len(dets))
	for i, d := range dets {
		b := d.Boxes.Clone()
		size := images.Sizes[i]
		if images.Flipped != nil && images.Flipped[i] {
			w := float32(size.W)
			for k := 0; k < len(b); k += 4 {
				b[k], b[k+2] = w-b[k+2], w-b[k]
			}
		}
		orig := size
		if images.Original != nil {
			orig = images.Original[i]
		}
		if orig != size {
			b.ScaleInPlace(float32(orig.W)/float32(size.W), float32(orig.H)/float32(size.H))
		}
		r := roi.Detections{Boxes: b, Scores: d.Scores, Labels: d.Labels, MaskProbs: d.MaskProbs, MaskSize: d.MaskSize}
		if c.ClipToOriginal {
			b.Clip(float32(orig.H), float32(orig.W))
			keep := b.Nonempty(0)
			if len(keep) < b.Len() {
				r = d.Select(keep)
				r.Boxes = b.Select(keep)
			}
		}
		out[i] = r
	}
	return out
}

func pick[T any](v []T, idx []int32) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
