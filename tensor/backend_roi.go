package tensor

// RoIKernels is the RoI kernel group of Backend: RoIAlign forward and
// backward (roialign.go); cpu_backend_roi.go implements it for the CPU.
//
// Layouts: features x [N, C, H, W], rois [K, 5] rows (batch index, x1, y1,
// x2, y2), pooled y [K, C, PH, PW], all contiguous.
type RoIKernels interface {
	// RoIAlign pools every RoI into y, overwriting it.
	RoIAlign(g RoIAlignGeom, y, x, rois Storage)
	// RoIAlignBackward computes the gradient dx of RoIAlign with respect to
	// the features given dy, overwriting dx.
	RoIAlignBackward(g RoIAlignGeom, dx, dy, rois Storage)
}

// RoIAlignGeom is the geometry of a RoIAlign call as kernels see it:
// features [N, C, H, W], K RoIs, PH x PW output bins, the scale from RoI to
// feature coordinates, the sampling ratio (<= 0: adaptive) and the aligned
// flag (see RoIAlign).
type RoIAlignGeom struct {
	N, C, H, W    int
	K             int
	PH, PW        int
	SpatialScale  float32
	SamplingRatio int
	Aligned       bool
}
