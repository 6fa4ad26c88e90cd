package coco

import (
	"fmt"
	"math"
	"sync"
)

// This file resizes, flips, normalizes and transposes an RGB image to a CHW
// float32 array in one pass. Resizing is separable with a triangle
// (bilinear) filter whose support widens when shrinking (antialiasing), the
// same coefficients as PIL's Image.resize(BILINEAR), which detectron2's
// ResizeTransform uses. PIL then rounds to uint8; we keep float32, so values
// differ from detectron2's by at most half a gray level.

// taps holds, for each output position, the first input index and the
// normalized filter weights (stride n).
type taps struct {
	start []int32
	count []int32
	w     []float32
	n     int
}

// bilinearTaps computes PIL's BILINEAR resampling coefficients from in to
// out samples. With flip, output i takes the coefficients of out-1-i.
func bilinearTaps(in, out int, flip bool) taps {
	scale := float64(in) / float64(out)
	filterScale := math.Max(scale, 1)
	support := filterScale
	n := int(math.Ceil(support))*2 + 1
	t := taps{start: make([]int32, out), count: make([]int32, out), w: make([]float32, out*n), n: n}
	ss := 1 / filterScale
	k := make([]float64, n)
	for xx := 0; xx < out; xx++ {
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > in {
			xmax = in
		}
		xmax -= xmin
		if xmax > n {
			xmax = n
		}
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := 1 - math.Abs((float64(x+xmin)-center+0.5)*ss)
			if v < 0 {
				v = 0
			}
			k[x] = v
			ww += v
		}
		dst := xx
		if flip {
			dst = out - 1 - xx
		}
		t.start[dst] = int32(xmin)
		t.count[dst] = int32(xmax)
		for x := 0; x < xmax; x++ {
			if ww != 0 {
				t.w[dst*n+x] = float32(k[x] / ww)
			}
		}
	}
	return t
}

// ResizeMode selects whose resizing rules to follow.
type ResizeMode uint8

const (
	// ResizeDetectron2 is detectron2's ResizeShortestEdge: sides rounded
	// as int(v + 0.5), PIL's antialiased BILINEAR for pixels, PIL's
	// NEAREST (pixel centres) for bitmap masks.
	ResizeDetectron2 ResizeMode = iota
	// ResizeTorchvision is torchvision's GeneralizedRCNNTransform: a
	// float32 scale min(short/min side, max/max side), sides
	// floor(side * scale), F.interpolate bilinear with align_corners=False
	// (no antialiasing) for pixels and legacy nearest (floor) for masks.
	ResizeTorchvision
)

func (m ResizeMode) String() string {
	switch m {
	case ResizeDetectron2:
		return "detectron2"
	case ResizeTorchvision:
		return "torchvision"
	}
	return fmt.Sprintf("ResizeMode(%d)", uint8(m))
}

// torchBilinearTaps computes F.interpolate(mode="bilinear",
// align_corners=False) coefficients with PyTorch's float32 arithmetic:
// source = max((i+0.5)*in/out - 0.5, 0), two neighbours.
func torchBilinearTaps(in, out int, flip bool) taps {
	t := taps{start: make([]int32, out), count: make([]int32, out), w: make([]float32, out*2), n: 2}
	scale := float32(in) / float32(out)
	for xx := 0; xx < out; xx++ {
		src := scale*(float32(xx)+0.5) - 0.5
		if src < 0 {
			src = 0
		}
		i0 := int(src)
		l1 := src - float32(i0)
		dst := xx
		if flip {
			dst = out - 1 - xx
		}
		t.start[dst] = int32(i0)
		if i0 < in-1 {
			t.count[dst] = 2
			t.w[2*dst], t.w[2*dst+1] = 1-l1, l1
		} else {
			t.count[dst] = 1
			t.w[2*dst] = 1
		}
	}
	return t
}

// PixelFormat says how 0..255 RGB values become model inputs:
// out[c] = (v*Scale - Mean[c]) / Std[c], channels in BGR order when BGR is
// set (Mean and Std are then given in BGR order too, as detectron2 does).
type PixelFormat struct {
	BGR   bool
	Scale float32
	Mean  [3]float32
	Std   [3]float32
}

// Detectron2Pixels is detectron2's default for MSRA R50 weights: BGR,
// 0..255, mean [103.53, 116.28, 123.675], std 1.
func Detectron2Pixels() PixelFormat {
	return PixelFormat{BGR: true, Scale: 1, Mean: [3]float32{103.53, 116.28, 123.675}, Std: [3]float32{1, 1, 1}}
}

// TorchvisionPixels is torchvision's: RGB, 0..1, ImageNet mean and std.
func TorchvisionPixels() PixelFormat {
	return PixelFormat{Scale: 1.0 / 255, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
}

func (p PixelFormat) validate() error {
	if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) {
		return fmt.Errorf("pixel scale %v must be positive and finite", p.Scale)
	}
	for c := 0; c < 3; c++ {
		if !(p.Std[c] > 0) || !finite(float64(p.Mean[c])) || math.IsInf(float64(p.Std[c]), 0) {
			return fmt.Errorf("pixel mean %v / std %v must be finite with std > 0", p.Mean, p.Std)
		}
	}
	return nil
}

var rowPool = sync.Pool{New: func() any { return new([]float32) }}

// ResizeToCHW resizes src to w x h with PIL's bilinear filter (mirrored
// left-right with flip) and writes the normalized result to dst as
// 3 x h x w float32 (allocated when dst is shorter). It returns dst.
func ResizeToCHW(src *RGB, w, h int, flip bool, pf PixelFormat, dst []float32) []float32 {
	return ResizeToCHWMode(src, w, h, flip, pf, ResizeDetectron2, dst)
}

// ResizeToCHWMode is ResizeToCHW with the resampling filter of mode.
func ResizeToCHWMode(src *RGB, w, h int, flip bool, pf PixelFormat, mode ResizeMode, dst []float32) []float32 {
	if w <= 0 || h <= 0 || src.W <= 0 || src.H <= 0 {
		panic(fmt.Sprintf("coco.ResizeToCHW: sizes %dx%d -> %dx%d must be positive", src.W, src.H, w, h))
	}
	plane := w * h
	if len(dst) < 3*plane {
		dst = make([]float32, 3*plane)
	}
	dst = dst[:3*plane]
	var a, b [3]float32 // per output channel: out = v*a + b
	for c := 0; c < 3; c++ {
		a[c] = pf.Scale / pf.Std[c]
		b[c] = -pf.Mean[c] / pf.Std[c]
	}
	// Output plane o reads source channel srcCh[o].
	srcCh := [3]int{0, 1, 2}
	if pf.BGR {
		srcCh = [3]int{2, 1, 0}
	}
	var th, tv taps
	if mode == ResizeTorchvision {
		th, tv = torchBilinearTaps(src.W, w, flip), torchBilinearTaps(src.H, h, false)
	} else {
		th, tv = bilinearTaps(src.W, w, flip), bilinearTaps(src.H, h, false)
	}

	// Horizontal pass into three planes of src.H rows of w values.
	tmpp := rowPool.Get().(*[]float32)
	need := 3 * src.H * w
	if cap(*tmpp) < need {
		*tmpp = make([]float32, need)
	}
	tmp := (*tmpp)[:need]
	tplane := src.H * w
	t0, t1, t2 := tmp[:tplane], tmp[tplane:2*tplane], tmp[2*tplane:]
	for y := 0; y < src.H; y++ {
		srow := src.Pix[y*src.W*3 : (y+1)*src.W*3]
		r0, r1, r2 := t0[y*w:(y+1)*w], t1[y*w:(y+1)*w], t2[y*w:(y+1)*w]
		for x := range r0 {
			s0 := int(th.start[x]) * 3
			cnt := int(th.count[x])
			ws := th.w[x*th.n : x*th.n+cnt]
			if cnt == 2 {
				p := srow[s0 : s0+6]
				w0, w1 := ws[0], ws[1]
				r0[x] = w0*float32(p[0]) + w1*float32(p[3])
				r1[x] = w0*float32(p[1]) + w1*float32(p[4])
				r2[x] = w0*float32(p[2]) + w1*float32(p[5])
				continue
			}
			var a0, a1, a2 float32
			sp := srow[s0 : s0+3*cnt]
			for k, wk := range ws {
				a0 += wk * float32(sp[3*k])
				a1 += wk * float32(sp[3*k+1])
				a2 += wk * float32(sp[3*k+2])
			}
			r0[x], r1[x], r2[x] = a0, a1, a2
		}
	}
	// Vertical pass per channel, normalizing as it writes the output plane.
	tp := [3][]float32{t0, t1, t2}
	for o := 0; o < 3; o++ {
		src := tp[srcCh[o]]
		ao, bo := a[o], b[o]
		out := dst[o*plane : (o+1)*plane]
		for y := 0; y < h; y++ {
			s0 := int(tv.start[y])
			cnt := int(tv.count[y])
			ws := tv.w[y*tv.n : y*tv.n+cnt]
			d := out[y*w : (y+1)*w]
			switch cnt {
			case 1:
				r := src[s0*w : (s0+1)*w]
				w0 := ws[0] * ao
				for x := range d {
					d[x] = r[x]*w0 + bo
				}
			case 2:
				ra := src[s0*w : (s0+1)*w]
				rb := src[(s0+1)*w : (s0+2)*w]
				w0, w1 := ws[0]*ao, ws[1]*ao
				ra, rb = ra[:len(d)], rb[:len(d)]
				for x := range d {
					d[x] = ra[x]*w0 + rb[x]*w1 + bo
				}
			default:
				for x := range d {
					d[x] = bo
				}
				for k, wk := range ws {
					r := src[(s0+k)*w : (s0+k+1)*w]
					wk *= ao
					r = r[:len(d)]
					for x := range d {
						d[x] += r[x] * wk
					}
				}
			}
		}
	}
	rowPool.Put(tmpp)
	return dst
}

// ShortestEdgeSize is detectron2's ResizeShortestEdge.get_output_shape: the
// (height, width) with the short side scaled to short, then the whole
// image scaled down so that the long side is at most maxSize (0: no limit),
// each side rounded as int(v + 0.5).
func ShortestEdgeSize(h, w, short, maxSize int) (newH, newW int) {
	size := float64(short)
	scale := size / float64(min(h, w))
	var nh, nw float64
	if h < w {
		nh, nw = size, scale*float64(w)
	} else {
		nh, nw = scale*float64(h), size
	}
	if maxSize > 0 && math.Max(nh, nw) > float64(maxSize) {
		s := float64(maxSize) / math.Max(nh, nw)
		nh *= s
		nw *= s
	}
	return max(int(nh+0.5), 1), max(int(nw+0.5), 1)
}

// TorchvisionSize is GeneralizedRCNNTransform's output size for an h x w
// image: scale = min(short/min(h, w), maxSize/max(h, w)) computed as
// PyTorch does for a Python float over a float32 tensor (the tensor's
// float32 reciprocal times the number, rounded to float32), then each side
// floor(side * scale) in float64 as F.interpolate does. So a 480 x 640
// image at 800 becomes 800 x 1066 but a 427 x 640 one 799 x 1199.
func TorchvisionSize(h, w, short, maxSize int) (newH, newW int) {
	div := func(num, den int) float32 {
		r := float32(1) / float32(den)
		return r * float32(num)
	}
	scale := div(short, min(h, w))
	if maxSize > 0 {
		scale = min(scale, div(maxSize, max(h, w)))
	}
	return max(int(math.Floor(float64(h)*float64(scale))), 1), max(int(math.Floor(float64(w)*float64(scale))), 1)
}

// OutputSize is the resized (height, width) under mode.
func (m ResizeMode) OutputSize(h, w, short, maxSize int) (newH, newW int) {
	if m == ResizeTorchvision {
		return TorchvisionSize(h, w, short, maxSize)
	}
	return ShortestEdgeSize(h, w, short, maxSize)
}
