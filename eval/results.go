package eval

import (
	"fmt"
	"math"
	"os"

	"github.com/gcdet/gcdet/coco/mask"
)

// Detection is one result, as in pycocotools' results JSON.
type Detection struct {
	ImageID    int64
	CategoryID int64
	// BBox is [x, y, width, height] in pixels, or nil when the result has
	// only a mask.
	BBox  []float64
	Score float64
	// Segmentation is the mask, of the image's size, or nil.
	Segmentation *mask.RLE

	checked bool // Segmentation was built and validated by ParseResults
}

// LoadResults reads a results JSON file (pycocotools' loadRes input): a
// list of {image_id, category_id, bbox, score} and/or segmentation objects.
// Segmentations (compressed or uncompressed RLE, or polygons) are converted
// to RLEs with the image's size from gt. Errors name the file and the
// result's index.
func LoadResults(path string, gt *GT) ([]Detection, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: results: %w", err)
	}
	dets, err := ParseResults(b, gt)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return dets, nil
}

// ParseResults is LoadResults on the file's contents.
func ParseResults(b []byte, gt *GT) ([]Detection, error) {
	raw, err := scanResults(b)
	if err != nil {
		return nil, err
	}
	dets := make([]Detection, len(raw))
	errs := make([]error, len(raw))
	parallelFor(len(raw), func(i int) {
		r := &raw[i]
		d := &dets[i]
		switch {
		case !r.hasImage:
			errs[i] = fmt.Errorf("eval: result %d has no image_id", i)
			return
		case !r.hasCat:
			errs[i] = fmt.Errorf("eval: result %d (image %d) has no category_id", i, r.imageID)
			return
		case !r.hasScore:
			errs[i] = fmt.Errorf("eval: result %d (image %d) has no score", i, r.imageID)
			return
		}
		d.ImageID, d.CategoryID, d.Score, d.BBox = r.imageID, r.catID, r.score, r.bbox
		if r.seg == nil {
			return
		}
		h, w, ok := gt.imageSize(d.ImageID)
		if !ok {
			errs[i] = fmt.Errorf("eval: result %d names image %d, which is not in the ground truth", i, d.ImageID)
			return
		}
		var rle mask.RLE
		var err error
		if r.counts != nil { // compressed RLE, counts still in the file's bytes
			if r.seg.Size[0] != h || r.seg.Size[1] != w {
				err = fmt.Errorf("mask: RLE size [%d %d] is not the image size [%d %d]", r.seg.Size[0], r.seg.Size[1], h, w)
			} else {
				rle, err = mask.FromCompressedBytes(r.counts, h, w)
			}
		} else {
			rle, err = mask.FrSegmentation(*r.seg, h, w)
		}
		if err != nil {
			errs[i] = fmt.Errorf("eval: result %d (image %d) segmentation: %w", i, d.ImageID, err)
			return
		}
		d.Segmentation, d.checked = &rle, true
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return dets, nil
}

// det is a detection after loadRes' derivations.
type det struct {
	id    int // index+1, as loadRes numbers results
	img   int64
	cat   int64
	score float64
	area  float64
	box   [4]float64
	rle   *mask.RLE  // segm only
	rbox  [4]float64 // rle's bounding box, for the IoU pre-check
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// prepare applies loadRes: the first result decides the mode. With a
// non-empty bbox it is box mode: every result needs a box, its area is
// w*h, and its mask (for segm) is its own or the box's polygon rasterized.
// Otherwise it is mask mode: every result needs a mask, its area is the
// mask's, and its box is the given one or the mask's bounding box.
func prepare(gt *GT, dets []Detection, iouType IoUType) ([]det, error) {
	out := make([]det, len(dets))
	if len(dets) == 0 {
		return out, nil
	}
	boxMode := len(dets[0].BBox) != 0
	errs := make([]error, len(dets))
	parallelFor(len(dets), func(i int) {
		errs[i] = prepareOne(gt, &dets[i], i, boxMode, iouType, &out[i])
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func prepareOne(gt *GT, d *Detection, i int, boxMode bool, iouType IoUType, o *det) error {
	h, w, ok := gt.imageSize(d.ImageID)
	if !ok {
		return fmt.Errorf("eval: result %d names image %d, which is not in the ground truth", i, d.ImageID)
	}
	if !finite(d.Score) {
		return fmt.Errorf("eval: result %d (image %d) has score %v", i, d.ImageID, d.Score)
	}
	*o = det{id: i + 1, img: d.ImageID, cat: d.CategoryID, score: d.Score}
	if len(d.BBox) != 0 {
		if len(d.BBox) != 4 {
			return fmt.Errorf("eval: result %d (image %d) has bbox %v, want [x y w h]", i, d.ImageID, d.BBox)
		}
		for _, v := range d.BBox {
			if !finite(v) {
				return fmt.Errorf("eval: result %d (image %d) has bbox %v", i, d.ImageID, d.BBox)
			}
		}
		copy(o.box[:], d.BBox)
	}
	if s := d.Segmentation; s != nil {
		if s.H != h || s.W != w {
			return fmt.Errorf("eval: result %d (image %d) mask is %dx%d, image is %dx%d", i, d.ImageID, s.H, s.W, h, w)
		}
		if !d.checked { // built by the caller, not by ParseResults
			if err := s.Validate(); err != nil {
				return fmt.Errorf("eval: result %d (image %d): %w", i, d.ImageID, err)
			}
		}
	}
	if boxMode {
		if len(d.BBox) == 0 {
			return fmt.Errorf("eval: result %d (image %d) has no bbox, but result 0 has one (all results must be of one kind)", i, d.ImageID)
		}
		o.area = float64(o.box[2] * o.box[3])
		if iouType == Segm {
			if d.Segmentation != nil {
				o.rle = d.Segmentation
			} else {
				r, err := mask.FrBBox(o.box, h, w)
				if err != nil {
					return fmt.Errorf("eval: result %d (image %d): %w", i, d.ImageID, err)
				}
				o.rle = &r
			}
			o.rbox = o.rle.ToBBox()
		}
		return nil
	}
	if d.Segmentation == nil {
		return fmt.Errorf("eval: result %d (image %d) has neither bbox nor segmentation", i, d.ImageID)
	}
	o.area = float64(d.Segmentation.Area())
	o.rle = d.Segmentation
	o.rbox = o.rle.ToBBox()
	if len(d.BBox) == 0 {
		o.box = o.rbox
	}
	return nil
}
