package coco

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/coco/mask"
)

// CropResize returns the instance mask inside box (XYXY, model-input
// pixels, e.g. a proposal) resampled to size x size, row-major 0/1: the
// Mask R-CNN training target. Polygons follow detectron2's
// rasterize_polygons_within_box (shift to the box, scale by
// size/max(side, 0.1), rasterize with pycocotools' rule); bitmaps follow
// detectron2's BitMasks.crop_and_resize (ROIAlign with aligned=True,
// adaptive sampling, threshold 0.5). imageW/H are the bitmap's size.
func (m Mask) CropResize(box [4]float64, size, imageW, imageH int) ([]uint8, error) {
	if size < 1 {
		return nil, fmt.Errorf("coco: mask target size %d must be >= 1", size)
	}
	switch {
	case m.Bitmap != nil:
		if len(m.Bitmap) != imageW*imageH {
			return nil, fmt.Errorf("coco: bitmap has %d pixels, not %dx%d", len(m.Bitmap), imageW, imageH)
		}
		return roiAlignBinary(m.Bitmap, imageW, imageH, box, size), nil
	case len(m.Polygons) > 0:
		w, h := box[2]-box[0], box[3]-box[1]
		rw, rh := float64(size)/math.Max(w, 0.1), float64(size)/math.Max(h, 0.1)
		polys := make([][]float64, len(m.Polygons))
		for j, p := range m.Polygons {
			q := make([]float64, len(p))
			for i := 0; i+1 < len(p); i += 2 {
				q[i] = (p[i] - box[0]) * rw
				q[i+1] = (p[i+1] - box[1]) * rh
			}
			polys[j] = q
		}
		r, err := mask.FrPolygons(polys, size, size)
		if err != nil {
			return nil, err
		}
		return r.DecodeRowMajor()
	}
	return make([]uint8, size*size), nil
}

// roiAlignBinary is ROIAlign (aligned=True, spatial scale 1, sampling ratio
// 0 = ceil(bin size)) of a 0/1 row-major image over box, thresholded at
// 0.5.
func roiAlignBinary(img []uint8, W, H int, box [4]float64, size int) []uint8 {
	x0, y0 := box[0]-0.5, box[1]-0.5
	rw, rh := box[2]-box[0], box[3]-box[1]
	binW, binH := rw/float64(size), rh/float64(size)
	gw := max(int(math.Ceil(rw/float64(size))), 1)
	gh := max(int(math.Ceil(rh/float64(size))), 1)
	count := float64(gw * gh)
	at := func(y, x float64) float64 {
		if y < -1 || y > float64(H) || x < -1 || x > float64(W) {
			return 0
		}
		y, x = math.Max(y, 0), math.Max(x, 0)
		yl, xl := int(y), int(x)
		var yh, xh int
		if yl >= H-1 {
			yl, yh, y = H-1, H-1, float64(H-1)
		} else {
			yh = yl + 1
		}
		if xl >= W-1 {
			xl, xh, x = W-1, W-1, float64(W-1)
		} else {
			xh = xl + 1
		}
		ly, lx := y-float64(yl), x-float64(xl)
		hy, hx := 1-ly, 1-lx
		v := func(yy, xx int) float64 { return float64(img[yy*W+xx]) }
		return hy*hx*v(yl, xl) + hy*lx*v(yl, xh) + ly*hx*v(yh, xl) + ly*lx*v(yh, xh)
	}
	out := make([]uint8, size*size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			s := 0.0
			for iy := 0; iy < gh; iy++ {
				y := y0 + float64(py)*binH + (float64(iy)+0.5)*binH/float64(gh)
				for ix := 0; ix < gw; ix++ {
					x := x0 + float64(px)*binW + (float64(ix)+0.5)*binW/float64(gw)
					s += at(y, x)
				}
			}
			if s/count >= 0.5 {
				out[py*size+px] = 1
			}
		}
	}
	return out
}
