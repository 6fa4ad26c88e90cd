package roi

// Pasting: an M x M mask of probabilities predicted over a box becomes a
// binary mask of the whole h x w image. Only a window around the box can
// be non-zero, so the work is proportional to the box, and the RLE is
// written straight from that window.

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/coco/mask"
)

// Pasted is a pasted mask of probabilities: Values holds the window
// [Y0, Y1) x [X0, X1) of the image row-major, and every pixel outside it
// is 0.
type Pasted struct {
	H, W           int
	X0, Y0, X1, Y1 int
	Values         []float32
}

// At is the pasted probability at pixel (y, x).
func (p Pasted) At(y, x int) float32 {
	if y < p.Y0 || y >= p.Y1 || x < p.X0 || x >= p.X1 {
		return 0
	}
	return p.Values[(y-p.Y0)*(p.X1-p.X0)+x-p.X0]
}

// PasteProbs pastes the m x m probabilities probs (row-major) predicted for
// b (XYXY in the pixels of the h x w image) by rule.
func PasteProbs(probs []float32, m int, b [4]float32, h, w int, rule PasteRule) Pasted {
	if len(probs) != m*m || m < 1 || h < 0 || w < 0 {
		panic(fmt.Sprintf("roi.PasteProbs: %d probabilities for a %dx%d mask in a %dx%d image", len(probs), m, m, h, w))
	}
	if rule == Detectron2Paste {
		return pasteDetectron2(probs, m, b, h, w)
	}
	return pasteTorchvision(probs, m, b, h, w)
}

// PasteMask pastes probs as PasteProbs and returns the binary mask
// (threshold as rule says: p > t for torchvision, p >= t for detectron2)
// as a COCO RLE of the h x w image.
func PasteMask(probs []float32, m int, b [4]float32, h, w int, rule PasteRule, threshold float32) mask.RLE {
	p := PasteProbs(probs, m, b, h, w, rule)
	if rule == Detectron2Paste {
		return p.rle(func(v float32) bool { return v >= threshold })
	}
	return p.rle(func(v float32) bool { return v > threshold })
}

// pasteTorchvision is torchvision's paste_masks_in_image for one mask:
// the mask padded with one zero pixel per side, the box scaled about its
// center by (m+2)/m in float32 and truncated to int64, the padded mask
// resized to the integer box (w = x1-x0+1, h = y1-y0+1, at least 1) by
// bilinear interpolation (align_corners = false), and the part inside the
// image kept.
func pasteTorchvision(probs []float32, m int, b [4]float32, h, w int) Pasted {
	scale := float32(float64(m+2) / float64(m))
	wHalf := float32(float32(b[2]-b[0])*0.5) * scale
	hHalf := float32(float32(b[3]-b[1])*0.5) * scale
	xc := float32(b[2]+b[0]) * 0.5
	yc := float32(b[3]+b[1]) * 0.5
	bx0, bx1 := truncInt(xc-wHalf), truncInt(xc+wHalf)
	by0, by1 := truncInt(yc-hHalf), truncInt(yc+hHalf)
	bw, bh := max(bx1-bx0+1, 1), max(by1-by0+1, 1)

	p := Pasted{H: h, W: w, X0: max(bx0, 0), Y0: max(by0, 0), X1: min(bx1+1, w), Y1: min(by1+1, h)}
	if p.X1 <= p.X0 || p.Y1 <= p.Y0 {
		p.X0, p.Y0, p.X1, p.Y1 = 0, 0, 0, 0
		return p
	}
	// The padded mask is (m+2) x (m+2) with a zero border.
	mp := m + 2
	padded := make([]float32, mp*mp)
	for y := range m {
		copy(padded[(y+1)*mp+1:(y+1)*mp+1+m], probs[y*m:(y+1)*m])
	}
	ys := linearWeights(mp, bh, p.Y0-by0, p.Y1-by0)
	xs := linearWeights(mp, bw, p.X0-bx0, p.X1-bx0)
	p.Values = make([]float32, (p.Y1-p.Y0)*(p.X1-p.X0))
	nx := p.X1 - p.X0
	for i, yw := range ys {
		r0, r1 := padded[yw.i0*mp:], padded[yw.i1*mp:]
		row := p.Values[i*nx : (i+1)*nx]
		for j, xw := range xs {
			t0 := float32(r0[xw.i0]*xw.l0) + float32(r0[xw.i1]*xw.l1)
			t1 := float32(r1[xw.i0]*xw.l0) + float32(r1[xw.i1]*xw.l1)
			row[j] = float32(t0*yw.l0) + float32(t1*yw.l1)
		}
	}
	return p
}

// truncInt converts like torch's .to(int64): toward zero.
func truncInt(v float32) int {
	if math.IsNaN(float64(v)) {
		return 0
	}
	return int(v)
}

// lin is one output position of a linear resize: inputs i0 and i1 with
// weights l0 and l1.
type lin struct {
	i0, i1 int
	l0, l1 float32
}

// linearWeights are torch's upsample_bilinear2d (align_corners = false)
// source indices and weights for output positions [from, to) of a resize
// from in to out samples: scale = in/out in float32, the source position
// (d+0.5)*scale-0.5 in float64, clamped at 0, its fractional part rounded
// to float32 (checked against torch 1.13 for many sizes).
func linearWeights(in, out, from, to int) []lin {
	scale := float64(float32(in) / float32(out))
	ws := make([]lin, 0, to-from)
	for d := from; d < to; d++ {
		src := max(scale*(float64(d)+0.5)-0.5, 0)
		i0 := int(src)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		l1 := min(max(float32(src-float64(i0)), 0), 1)
		ws = append(ws, lin{i0: i0, i1: i1, l0: 1 - l1, l1: l1})
	}
	return ws
}

// pasteDetectron2 is detectron2's _do_paste_mask for one mask (on CPU,
// where it pastes each box in its own window): each pixel center (x+0.5,
// y+0.5) of the window [floor(x0)-1, ceil(x1)+1) x [floor(y0)-1,
// ceil(y1)+1) (clipped to the image) maps to grid coordinates
// g = (c - x0)/(x1 - x0)*2 - 1, sampled bilinearly from the m x m mask as
// grid_sample (align_corners = false, zeros outside) does. As in
// detectron2, nothing outside the window is pasted; bilinear samples there
// would be non-zero only for boxes wider (or taller) than 2m pixels.
func pasteDetectron2(probs []float32, m int, b [4]float32, h, w int) Pasted {
	p := Pasted{H: h, W: w,
		X0: max(int(math.Floor(float64(b[0])))-1, 0), Y0: max(int(math.Floor(float64(b[1])))-1, 0),
		X1: min(int(math.Ceil(float64(b[2])))+1, w), Y1: min(int(math.Ceil(float64(b[3])))+1, h)}
	if p.X1 <= p.X0 || p.Y1 <= p.Y0 || !(b[2] > b[0]) || !(b[3] > b[1]) {
		p.X0, p.Y0, p.X1, p.Y1 = 0, 0, 0, 0
		return p
	}
	half := float32(m) / 2
	grid := func(c int, lo, hi float32) float32 {
		g := float32(float32(float32(float32(c)+0.5)-lo)/float32(hi-lo))*2 - 1
		return float32(float32(g+1)*half) - 0.5 // grid_sample's CPU unnormalize
	}
	at := func(y, x int) float32 {
		if y < 0 || y >= m || x < 0 || x >= m {
			return 0
		}
		return probs[y*m+x]
	}
	nx := p.X1 - p.X0
	p.Values = make([]float32, (p.Y1-p.Y0)*nx)
	for y := p.Y0; y < p.Y1; y++ {
		iy := grid(y, b[1], b[3])
		yn := int(math.Floor(float64(iy)))
		ty := iy - float32(yn)
		for x := p.X0; x < p.X1; x++ {
			ix := grid(x, b[0], b[2])
			xw := int(math.Floor(float64(ix)))
			tx := ix - float32(xw)
			v := at(yn, xw)*float32((1-tx)*(1-ty)) + at(yn, xw+1)*float32(tx*(1-ty)) +
				at(yn+1, xw)*float32((1-tx)*ty) + at(yn+1, xw+1)*float32(tx*ty)
			p.Values[(y-p.Y0)*nx+x-p.X0] = v
		}
	}
	return p
}

// rle encodes the binary mask on(value) of the whole image, column-major
// runs as mask.Encode writes them.
func (p Pasted) rle(on func(float32) bool) mask.RLE {
	var counts []uint32
	cur, run := false, uint32(0)
	emit := func(bit bool, n int) {
		if n == 0 {
			return
		}
		if bit != cur {
			counts = append(counts, run)
			cur, run = bit, 0
		}
		run += uint32(n)
	}
	nx := p.X1 - p.X0
	emit(false, p.X0*p.H)
	for x := p.X0; x < p.X1; x++ {
		emit(false, p.Y0)
		for y := p.Y0; y < p.Y1; y++ {
			emit(on(p.Values[(y-p.Y0)*nx+x-p.X0]), 1)
		}
		emit(false, p.H-p.Y1)
	}
	emit(false, (p.W-p.X1)*p.H)
	counts = append(counts, run)
	return mask.RLE{H: p.H, W: p.W, Counts: counts}
}
