package roi

// Shapes: R RoIs in the batch (image by image), K+1 classes.
//
//	logits [R, K+1] -> softmax -> scores
//	deltas [R, 4(K+1)] -> decoded against each RoI -> one box per (RoI, class)
//	per image: (RoI, class >= 1) pairs, filtered, per-class NMS, <= DetectionsPerImage

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco/mask"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// Detections are one image's detected objects, in decreasing score.
type Detections struct {
	// Boxes are XYXY in the coordinates of the model input (the detector
	// maps them back to the original image), [D*4].
	Boxes box.Boxes
	// Scores are the class probabilities, [D].
	Scores []float32
	// Labels are the classes 1..K, [D].
	Labels []int32
	// MaskProbs are, with a mask branch, the mask probabilities of each
	// detection's class over its box, [D, MaskSize, MaskSize] row-major.
	MaskProbs []float32
	MaskSize  int
	// Masks are, with a mask branch, the binary masks pasted into the
	// original image as COCO RLEs, [D] (set by the detector's Predict).
	Masks []mask.RLE
}

// Len is the number of detections D.
func (d Detections) Len() int { return len(d.Labels) }

// postprocess turns the predictions for every image's RoIs into
// detections, as torchvision's postprocess_detections and detectron2's
// fast_rcnn_inference: softmax scores; one box per RoI and foreground
// class, decoded from that class's deltas and clipped to the image; pairs
// with score > ScoreThresh (and finite boxes) kept, boxes narrower or lower than MinSize
// dropped; per-class NMS; the DetectionsPerImage best.
func (c Config) postprocess(logits, deltas *tensor.Tensor, rois []box.Boxes, sizes []rpn.ImageSize, coder box.Coder) []Detections {
	r, k1 := logits.Dim(0), logits.Dim(1)
	if deltas.Dim(0) != r || deltas.Dim(1) != 4*k1 || len(rois) != len(sizes) {
		panic(fmt.Sprintf("roi: postprocess logits %v, deltas %v, %d images with %d sizes", logits.Shape(), deltas.Shape(), len(rois), len(sizes)))
	}
	scores := tensor.Softmax(logits, 1).Data()
	allDeltas := deltas.Data()
	out := make([]Detections, len(rois))
	off := 0
	for i, props := range rois {
		n := props.Len()
		if off+n > r {
			panic(fmt.Sprintf("roi: postprocess: %d RoIs in the images but %d predictions", off+n, r))
		}
		decoded := box.Boxes(coder.Decode(allDeltas[4*k1*off:4*k1*(off+n)], props))
		decoded.Clip(float32(sizes[i].H), float32(sizes[i].W))
		var boxes box.Boxes
		var sc []float32
		var labels []int32
		for j := range n {
			row := scores[(off+j)*k1 : (off+j+1)*k1]
			for k := 1; k < k1; k++ {
				b := decoded[4*(j*k1+k) : 4*(j*k1+k)+4]
				// NaN scores fail the comparison; non-finite boxes come
				// from a diverged model and are dropped (detectron2).
				if row[k] > c.ScoreThresh && finite(b[0]) && finite(b[1]) && finite(b[2]) && finite(b[3]) {
					boxes = append(boxes, b...)
					sc = append(sc, row[k])
					labels = append(labels, int32(k))
				}
			}
		}
		if c.MinSize > 0 {
			keep := boxes.RemoveSmall(c.MinSize)
			boxes, sc, labels = boxes.Select(keep), pick(sc, keep), pick(labels, keep)
		}
		keep := box.BatchedNMS(boxes, sc, labels, c.NMSThresh)
		if len(keep) > c.DetectionsPerImage {
			keep = keep[:c.DetectionsPerImage]
		}
		out[i] = Detections{Boxes: boxes.Select(keep), Scores: pick(sc, keep), Labels: pick(labels, keep)}
		off += n
	}
	if off != r {
		panic(fmt.Sprintf("roi: postprocess: %d RoIs in the images but %d predictions", off, r))
	}
	return out
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func pick[T any](v []T, idx []int32) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
