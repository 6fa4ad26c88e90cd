package tensor

import "fmt"

// RoIAlignOpts configures RoIAlign. Zero values are not defaults: set
// OutputSize and SpatialScale explicitly.
type RoIAlignOpts struct {
	// OutputSize is the pooled (height, width) in bins.
	OutputSize [2]int
	// SpatialScale maps RoI coordinates (input-image pixels) to feature
	// coordinates: 1/stride of the feature map, e.g. 0.25 for P2.
	SpatialScale float32
	// SamplingRatio is the number of bilinear samples per bin along each
	// axis; <= 0 means adaptive, ceil(roi_size/bins) per axis and per RoI.
	SamplingRatio int
	// Aligned shifts the scaled box by -0.5 pixel so that sample positions
	// line up with pixel centers (detectron2's ROIAlignV2). When false
	// (the legacy rule, torchvision's default) every RoI is at least 1x1
	// feature pixels.
	Aligned bool
}

// RoIAlign is torchvision.ops.roi_align: it pools features x [N, C, H, W]
// inside each RoI of rois [K, 5] (rows: batch index, x1, y1, x2, y2 in
// input-image coordinates) into [K, C, PH, PW], each bin the average of a
// grid of bilinear samples. Samples more than one pixel outside the map
// count as zero; samples closer are clamped to the border.
//
// The gradient flows to x only: RoIs are constants (proposals are detached
// in R-CNN), so rois never receives a gradient. It panics when shapes
// disagree, a batch index is outside [0, N) or a coordinate is not
// finite.
func RoIAlign(x, rois *Tensor, o RoIAlignOpts) *Tensor {
	if x.Dims() != 4 {
		panic(fmt.Sprintf("tensor.RoIAlign: want features [N,C,H,W], got %v", x.shape))
	}
	if rois.Dims() != 2 || rois.shape[1] != 5 {
		panic(fmt.Sprintf("tensor.RoIAlign: want rois [K,5], got %v", rois.shape))
	}
	if o.OutputSize[0] < 1 || o.OutputSize[1] < 1 || !(o.SpatialScale > 0) {
		panic(fmt.Sprintf("tensor.RoIAlign: output size %v and spatial scale %g must be positive", o.OutputSize, o.SpatialScale))
	}
	if x.shape[2] < 1 || x.shape[3] < 1 {
		panic(fmt.Sprintf("tensor.RoIAlign: empty feature map %v", x.shape))
	}
	be := x.Backend()
	if rb := rois.Backend(); rb.Name() != be.Name() {
		panic(fmt.Sprintf("tensor.RoIAlign: features on %s, rois on %s", be.Name(), rb.Name()))
	}
	g := RoIAlignGeom{
		N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		K: rois.shape[0], PH: o.OutputSize[0], PW: o.OutputSize[1],
		SpatialScale: o.SpatialScale, SamplingRatio: o.SamplingRatio, Aligned: o.Aligned,
	}
	out := newOn(be, []int{g.K, g.C, g.PH, g.PW})
	if g.K > 0 {
		be.RoIAlign(g, out.buf, x.buf, rois.buf)
	}
	r := rois.Clone() // the backward pass must see the RoIs of the forward pass
	xs := x.shape     // not x: the gradient does not read it
	return record("RoIAlign", out, func(dy *Tensor) []*Tensor {
		dx := newOn(be, cloneInts(xs))
		if g.K > 0 {
			be.RoIAlignBackward(g, dx.buf, dy.buf, r.buf)
		}
		return []*Tensor{dx}
	}, x)
}
