package roi

// Shapes: P positive RoIs of one image, G ground-truth instances, H x W the
// image (model input pixels, no padding), M x M the mask resolution (28).
//
//	gt mask g   polygons or an H x W bitmap
//	targets     [P, M, M] in [0, 1], row-major, RoI order

import (
	"fmt"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco/mask"
	"github.com/gcdet/gcdet/tensor"
)

// InstanceMask is one ground-truth instance's mask in model-input pixels.
// coco.Mask (polygons transformed with the image, or a resized bitmap)
// implements it.
type InstanceMask interface {
	// RLE rasterizes the whole mask at the image's input size h x w.
	RLE(h, w int) (mask.RLE, error)
	// CropResize returns the mask inside box (XYXY input pixels) resampled
	// to size x size, row-major 0/1 (detectron2's target); imageW and
	// imageH are the input size.
	CropResize(box [4]float64, size, imageW, imageH int) ([]uint8, error)
}

// MaskTargets returns the targets [P*M*M] of one image's positive RoIs
// (rois [P*4], XYXY input pixels), each cut from the mask of its matched
// ground truth (matched[p] indexes masks) by rule; h x w is the image's
// input size. An instance whose mask cannot be rasterized is an error
// naming the instance.
func MaskTargets(rule MaskTargetRule, rois box.Boxes, matched []int32, masks []InstanceMask, h, w, m int) ([]float32, error) {
	p := rois.Len()
	if len(matched) != p {
		panic(fmt.Sprintf("roi.MaskTargets: %d matches for %d RoIs", len(matched), p))
	}
	out := make([]float32, p*m*m)
	if p == 0 {
		return out, nil
	}
	for k, g := range matched {
		if g < 0 || int(g) >= len(masks) || masks[g] == nil {
			return nil, fmt.Errorf("roi: positive RoI %d is matched to instance %d, which has no mask (%d masks)", k, g, len(masks))
		}
	}
	if rule == Detectron2MaskTargets {
		for k, g := range matched {
			b := rois[4*k : 4*k+4]
			t, err := masks[g].CropResize([4]float64{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}, m, w, h)
			if err != nil {
				return nil, fmt.Errorf("roi: mask target of instance %d: %w", g, err)
			}
			dst := out[k*m*m : (k+1)*m*m]
			for i, v := range t {
				dst[i] = float32(v)
			}
		}
		return out, nil
	}

	// torchvision: RoIAlign of each instance's full mask over the RoIs
	// matched to it, one instance at a time.
	byGT := map[int32][]int{}
	var order []int32
	for k, g := range matched {
		if byGT[g] == nil {
			order = append(order, g)
		}
		byGT[g] = append(byGT[g], k)
	}
	var err error
	tensor.NoGrad(func() {
		for _, g := range order {
			var full *tensor.Tensor
			if full, err = fullMask(masks[g], h, w); err != nil {
				err = fmt.Errorf("roi: mask target of instance %d: %w", g, err)
				return
			}
			ks := byGT[g]
			rows := make([]float32, 0, 5*len(ks))
			for _, k := range ks {
				rows = append(rows, 0, rois[4*k], rois[4*k+1], rois[4*k+2], rois[4*k+3])
			}
			pooled := tensor.RoIAlign(full, tensor.FromSlice(rows, len(ks), 5), tensor.RoIAlignOpts{
				OutputSize: [2]int{m, m}, SpatialScale: 1, SamplingRatio: 0, Aligned: false,
			}).Data()
			for j, k := range ks {
				copy(out[k*m*m:(k+1)*m*m], pooled[j*m*m:(j+1)*m*m])
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fullMask rasterizes an instance mask into a [1, 1, h, w] 0/1 tensor.
func fullMask(im InstanceMask, h, w int) (*tensor.Tensor, error) {
	r, err := im.RLE(h, w)
	if err != nil {
		return nil, err
	}
	if r.H != h || r.W != w {
		return nil, fmt.Errorf("mask of %dx%d pixels for a %dx%d image", r.H, r.W, h, w)
	}
	v := make([]float32, h*w)
	// Column-major runs straight into the row-major plane.
	pos, on := 0, false
	for _, c := range r.Counts {
		if pos+int(c) > h*w {
			return nil, fmt.Errorf("mask RLE counts exceed %dx%d pixels", h, w)
		}
		if on {
			for i := pos; i < pos+int(c); i++ {
				x, y := i/h, i%h
				v[y*w+x] = 1
			}
		}
		pos += int(c)
		on = !on
	}
	return tensor.FromSlice(v, 1, 1, h, w), nil
}
