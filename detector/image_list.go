package detector

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// ImageList is a batch of N images padded into one tensor, as detectron2's
// ImageList: image i covers Tensor[i, :, :Sizes[i].H, :Sizes[i].W], the
// rest is zero.
type ImageList struct {
	// Tensor is [N, 3, Hp, Wp], normalized; Hp and Wp should be multiples
	// of the model's SizeDivisibility.
	Tensor *tensor.Tensor
	// Sizes are the images' sizes inside the padding (model input pixels).
	Sizes []rpn.ImageSize
	// Original are the images' sizes before the input transform; Predict
	// maps detections to them. Nil means Sizes (no resize).
	Original []rpn.ImageSize
	// Flipped marks images the transform mirrored left-right; Predict
	// mirrors their detections back. Nil means none.
	Flipped []bool
}

// Len is the number of images N.
func (l ImageList) Len() int { return len(l.Sizes) }

// Padded is the batch's padded size (Hp, Wp).
func (l ImageList) Padded() rpn.ImageSize {
	return rpn.ImageSize{H: l.Tensor.Dim(2), W: l.Tensor.Dim(3)}
}

// check reports an inconsistent image list (a programmer error upstream,
// returned as an error because lists come from user-facing pipelines).
func (l ImageList) check() error {
	if l.Tensor == nil || l.Tensor.Dims() != 4 || l.Tensor.Dim(1) != 3 {
		return fmt.Errorf("detector: image tensor must be [N, 3, H, W]")
	}
	n := l.Tensor.Dim(0)
	if len(l.Sizes) != n || (l.Original != nil && len(l.Original) != n) || (l.Flipped != nil && len(l.Flipped) != n) {
		return fmt.Errorf("detector: batch of %d images with %d sizes, %d original sizes, %d flip flags", n, len(l.Sizes), len(l.Original), len(l.Flipped))
	}
	p := l.Padded()
	for i, s := range l.Sizes {
		if s.H < 1 || s.W < 1 || s.H > p.H || s.W > p.W {
			return fmt.Errorf("detector: image %d of the batch is %dx%d, outside the padded %dx%d", i, s.H, s.W, p.H, p.W)
		}
		if l.Original != nil && (l.Original[i].H < 1 || l.Original[i].W < 1) {
			return fmt.Errorf("detector: image %d of the batch has original size %dx%d", i, l.Original[i].H, l.Original[i].W)
		}
	}
	return nil
}

// FromBatch turns a collated coco.Batch into the model's input and
// training targets: boxes (XYXY input pixels) and labels 1..K of each
// sample, crowd annotations left out unless keepCrowd. A box that is not
// finite or not ordered, or a label outside 1..numClasses, is an error
// naming the image and annotation ids.
func FromBatch(b *coco.Batch, numClasses int, keepCrowd bool) (ImageList, []roi.GroundTruth, error) {
	if len(b.Images) != b.N*3*b.H*b.W || len(b.Samples) != b.N {
		return ImageList{}, nil, fmt.Errorf("detector: batch of %d samples holds %d values for %dx3x%dx%d", len(b.Samples), len(b.Images), b.N, b.H, b.W)
	}
	l := ImageList{
		Tensor:   tensor.FromSlice(b.Images, b.N, 3, b.H, b.W),
		Sizes:    make([]rpn.ImageSize, b.N),
		Original: make([]rpn.ImageSize, b.N),
		Flipped:  make([]bool, b.N),
	}
	targets := make([]roi.GroundTruth, b.N)
	for i, s := range b.Samples {
		l.Sizes[i] = rpn.ImageSize{H: s.H, W: s.W}
		l.Original[i] = rpn.ImageSize{H: s.OrigH, W: s.OrigW}
		l.Flipped[i] = s.Flip
		if len(s.Boxes) != len(s.Labels) || (s.Crowd != nil && len(s.Crowd) != len(s.Boxes)) {
			return ImageList{}, nil, fmt.Errorf("detector: image %d (%s): %d boxes, %d labels, %d crowd flags", s.ImageID, s.FileName, len(s.Boxes), len(s.Labels), len(s.Crowd))
		}
		t := roi.GroundTruth{Boxes: box.Boxes{}, Labels: []int32{}}
		for j, bx := range s.Boxes {
			if s.Crowd != nil && s.Crowd[j] && !keepCrowd {
				continue
			}
			ann := int64(-1)
			if j < len(s.AnnIDs) {
				ann = s.AnnIDs[j]
			}
			for _, v := range bx {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return ImageList{}, nil, fmt.Errorf("detector: image %d (%s) annotation %d: box %v is not finite", s.ImageID, s.FileName, ann, bx)
				}
			}
			if bx[2] < bx[0] || bx[3] < bx[1] {
				return ImageList{}, nil, fmt.Errorf("detector: image %d (%s) annotation %d: box %v has x2 < x1 or y2 < y1", s.ImageID, s.FileName, ann, bx)
			}
			if s.Labels[j] < 1 || int(s.Labels[j]) > numClasses {
				return ImageList{}, nil, fmt.Errorf("detector: image %d (%s) annotation %d: label %d outside 1..%d", s.ImageID, s.FileName, ann, s.Labels[j], numClasses)
			}
			t.Boxes = append(t.Boxes, bx[:]...)
			t.Labels = append(t.Labels, s.Labels[j])
		}
		targets[i] = t
	}
	return l, targets, l.check()
}
