package cpu

import (
	"fmt"
	"math"
)

// RoIAlign kernels (Mask R-CNN's RoIAlign with average pooling), with the
// arithmetic of torchvision's roi_align CPU kernel so results agree to the
// last bits: every coordinate and weight is computed in float32 in the same
// order.
//
// Shapes: x [N, C, H, W] features, rois [K, 5] rows (batch index, x1, y1,
// x2, y2) in input-image coordinates, y [K, C, PH, PW].
//
// For RoI k the box is scaled by SpatialScale and, when Aligned, shifted by
// -0.5 (pixel centers at integer + 0.5); when not Aligned its width and
// height are raised to at least 1. The box is cut into PH x PW bins; each
// bin averages a grid of SamplingRatio x SamplingRatio bilinear samples (or,
// for SamplingRatio <= 0, ceil(roi_h/PH) x ceil(roi_w/PW)) placed at the
// centers of a regular sub-grid. A sample farther than one pixel outside the
// map contributes zero; one within is clamped to the border.

// RoIAlignGeom describes one RoIAlign call.
type RoIAlignGeom struct {
	N, C, H, W    int // features
	K             int // RoIs
	PH, PW        int // output bins
	SpatialScale  float32
	SamplingRatio int // <= 0: adaptive
	Aligned       bool
}

// Validate panics when the geometry is inconsistent (programmer error).
func (g RoIAlignGeom) Validate(op string) {
	if g.N < 0 || g.C < 0 || g.H < 1 || g.W < 1 || g.K < 0 || g.PH < 1 || g.PW < 1 {
		panic(fmt.Sprintf("%s: invalid RoIAlign geometry %+v", op, g))
	}
}

// roiSample is one bilinear sample: four flat offsets into an H x W plane
// and their weights. A sample outside the map has offsets and weights 0
// (the forward pass reads pixel 0 with weight 0, as torchvision does) and
// outside set (the backward pass skips it).
type roiSample struct {
	p1, p2, p3, p4 int32
	w1, w2, w3, w4 float32
	outside        bool
}

// roiBins holds the samples of one RoI: for bin (ph, pw) the samples
// samples[(ph*PW+pw)*per : (ph*PW+pw+1)*per], and the divisor count.
type roiBins struct {
	batch   int
	per     int
	count   float32
	samples []roiSample
}

// checkBatches panics, on the caller's goroutine (before any worker
// starts), when a RoI's batch index is outside [0, N) or a coordinate is
// not finite (torchvision's kernel reads out of bounds then).
func (g RoIAlignGeom) checkBatches(op string, rois []float32) {
	for k := 0; k < g.K; k++ {
		if b := rois[5*k]; !(b >= 0 && b < float32(g.N)) {
			panic(fmt.Sprintf("%s: RoI %d has batch index %g outside [0, %d)", op, k, b, g.N))
		}
		for _, v := range rois[5*k+1 : 5*k+5] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				panic(fmt.Sprintf("%s: RoI %d has a non-finite coordinate %v", op, k, rois[5*k+1:5*k+5]))
			}
		}
	}
}

// prepare computes the samples of RoI row r (5 values, batch index already
// checked) into b, reusing its buffer.
func (g RoIAlignGeom) prepare(r []float32, b *roiBins) {
	batch := int(r[0]) // truncation, as torch's int cast
	var offset float32
	if g.Aligned {
		offset = 0.5
	}
	scale := g.SpatialScale
	// Explicit float32 conversions round every product, so no compiler
	// fuses a multiply-add and the coordinates stay torchvision's bits.
	startW := float32(r[1]*scale) - offset
	startH := float32(r[2]*scale) - offset
	endW := float32(r[3]*scale) - offset
	endH := float32(r[4]*scale) - offset
	roiW := endW - startW
	roiH := endH - startH
	if !g.Aligned {
		roiW = max(roiW, 1)
		roiH = max(roiH, 1)
	}
	binH := roiH / float32(g.PH)
	binW := roiW / float32(g.PW)
	gridH, gridW := g.SamplingRatio, g.SamplingRatio
	if g.SamplingRatio <= 0 {
		gridH = int(float32(math.Ceil(float64(roiH / float32(g.PH)))))
		gridW = int(float32(math.Ceil(float64(roiW / float32(g.PW)))))
	}
	gridH, gridW = max(gridH, 0), max(gridW, 0)
	per := gridH * gridW
	b.batch, b.per, b.count = batch, per, float32(max(per, 1))
	n := g.PH * g.PW * per
	if cap(b.samples) < n {
		b.samples = make([]roiSample, n)
	}
	b.samples = b.samples[:n]
	i := 0
	fgH, fgW := float32(gridH), float32(gridW)
	for ph := 0; ph < g.PH; ph++ {
		for pw := 0; pw < g.PW; pw++ {
			for iy := 0; iy < gridH; iy++ {
				y := startH + float32(float32(ph)*binH) + float32((float32(iy)+0.5)*binH)/fgH
				for ix := 0; ix < gridW; ix++ {
					x := startW + float32(float32(pw)*binW) + float32((float32(ix)+0.5)*binW)/fgW
					b.samples[i] = bilinear(g.H, g.W, y, x)
					i++
				}
			}
		}
	}
}

// bilinear returns the sample at (y, x) with torchvision's boundary rules.
func bilinear(height, width int, y, x float32) roiSample {
	if y < -1 || y > float32(height) || x < -1 || x > float32(width) {
		return roiSample{outside: true}
	}
	y, x = max(y, 0), max(x, 0)
	yLow, xLow := int(y), int(x)
	var yHigh, xHigh int
	if yLow >= height-1 {
		yLow, yHigh = height-1, height-1
		y = float32(yLow)
	} else {
		yHigh = yLow + 1
	}
	if xLow >= width-1 {
		xLow, xHigh = width-1, width-1
		x = float32(xLow)
	} else {
		xHigh = xLow + 1
	}
	ly := y - float32(yLow)
	lx := x - float32(xLow)
	hy, hx := 1-ly, 1-lx
	return roiSample{
		p1: int32(yLow*width + xLow), p2: int32(yLow*width + xHigh),
		p3: int32(yHigh*width + xLow), p4: int32(yHigh*width + xHigh),
		w1: hy * hx, w2: hy * lx, w3: ly * hx, w4: ly * lx,
	}
}

// roiBlockSamples bounds the samples prepared at once (about 300 KB), so a
// block's samples and one feature plane stay in a core's L2 cache while
// every channel is swept (channel-major within a block: a plane is read
// for all RoIs of the block before the next one).
const roiBlockSamples = 8192

// forBlocks prepares RoIs [lo, hi) a block at a time and calls f with the
// first RoI index of the block and its prepared bins. The buffers are
// reused from block to block.
func (g RoIAlignGeom) forBlocks(rois []float32, lo, hi int, f func(k0 int, bins []roiBins)) {
	var bins []roiBins
	for k := lo; k < hi; {
		n, total := 0, 0
		for k+n < hi && (n == 0 || total < roiBlockSamples) {
			if n == len(bins) {
				bins = append(bins, roiBins{})
			}
			g.prepare(rois[5*(k+n):5*(k+n)+5], &bins[n])
			total += len(bins[n].samples)
			n++
		}
		f(k, bins[:n])
		k += n
	}
}

// RoIAlign computes y [K, C, PH, PW], overwriting it. Work is split over
// RoIs.
func RoIAlign(g RoIAlignGeom, y, x, rois []float32) {
	const op = "cpu.RoIAlign"
	g.Validate(op)
	checkLen(op, "x", x, g.N*g.C*g.H*g.W)
	checkLen(op, "rois", rois, g.K*5)
	checkLen(op, "y", y, g.K*g.C*g.PH*g.PW)
	g.checkBatches(op, rois)
	plane, nb := g.H*g.W, g.PH*g.PW
	Parallel(g.K, 1, func(lo, hi int) {
		g.forBlocks(rois, lo, hi, func(k0 int, bins []roiBins) {
			for c := 0; c < g.C; c++ {
				for j := range bins {
					b := &bins[j]
					in := x[(b.batch*g.C+c)*plane : (b.batch*g.C+c+1)*plane]
					out := y[((k0+j)*g.C+c)*nb : ((k0+j)*g.C+c+1)*nb]
					ss := b.samples
					for bin := range out {
						var v float32
						for i := bin * b.per; i < (bin+1)*b.per; i++ {
							s := &ss[i]
							v += s.w1*in[s.p1] + s.w2*in[s.p2] + s.w3*in[s.p3] + s.w4*in[s.p4]
						}
						out[bin] = v / b.count
					}
				}
			}
		})
	})
}

// RoIAlignBackward computes dx [N, C, H, W] from dy [K, C, PH, PW],
// overwriting dx: every output gradient is spread over the pixels its
// samples read, with the sample's weights divided by the bin's sample
// count. Work is split over channels, so no two goroutines write the same
// element of dx.
func RoIAlignBackward(g RoIAlignGeom, dx, dy, rois []float32) {
	const op = "cpu.RoIAlignBackward"
	g.Validate(op)
	checkLen(op, "dx", dx, g.N*g.C*g.H*g.W)
	checkLen(op, "rois", rois, g.K*5)
	checkLen(op, "dy", dy, g.K*g.C*g.PH*g.PW)
	g.checkBatches(op, rois)
	plane, nb := g.H*g.W, g.PH*g.PW
	clear(dx[:g.N*g.C*plane])
	Parallel(g.C, 1, func(lo, hi int) {
		g.forBlocks(rois, 0, g.K, func(k0 int, bins []roiBins) {
			for c := lo; c < hi; c++ {
				for j := range bins {
					b := &bins[j]
					d := dx[(b.batch*g.C+c)*plane : (b.batch*g.C+c+1)*plane]
					grad := dy[((k0+j)*g.C+c)*nb : ((k0+j)*g.C+c+1)*nb]
					ss := b.samples
					for bin, gv := range grad {
						for i := bin * b.per; i < (bin+1)*b.per; i++ {
							s := &ss[i]
							if s.outside {
								continue
							}
							d[s.p1] += gv * s.w1 / b.count
							d[s.p2] += gv * s.w2 / b.count
							d[s.p3] += gv * s.w3 / b.count
							d[s.p4] += gv * s.w4 / b.count
						}
					}
				}
			}
		})
	})
}
