package eval

import (
	"fmt"
	"math"
	"slices"
)

// IoUType selects box or mask IoU.
type IoUType string

const (
	BBox IoUType = "bbox"
	Segm IoUType = "segm"
)

// Params are COCOeval's evaluation parameters.
type Params struct {
	IoUType IoUType
	// ImgIDs are the images to evaluate; nil means every ground-truth image.
	// They are sorted and made unique, as pycocotools does.
	ImgIDs []int64
	// CatIDs are the categories; nil means every ground-truth category.
	// Sorted and made unique when UseCats; kept in the given order
	// otherwise (pycocotools concatenates per-category lists in that order).
	CatIDs []int64
	// IoUThrs and RecThrs default to numpy.linspace(.5, .95, 10) and
	// numpy.linspace(0, 1, 101), bit for bit.
	IoUThrs []float64
	RecThrs []float64
	// MaxDets are sorted ascending; the largest caps detections per image.
	MaxDets []int
	// AreaRng are [min, max] areas, both inclusive, labelled by AreaRngLbl.
	AreaRng    [][2]float64
	AreaRngLbl []string
	// UseCats false ignores categories: every detection of an image may
	// match every ground truth of that image.
	UseCats bool
}

// Linspace returns numpy.linspace(start, stop, num) (endpoint included)
// with numpy's arithmetic: start + i*step, the last value set to stop.
func Linspace(start, stop float64, num int) []float64 {
	out := make([]float64, num)
	if num == 0 {
		return out
	}
	if num == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(num-1)
	for i := range out {
		// The conversion stops the compiler from fusing into an FMA.
		out[i] = float64(float64(i)*step) + start
	}
	out[num-1] = stop
	return out
}

// DefaultParams returns pycocotools' detection defaults for iouType.
func DefaultParams(iouType IoUType) Params {
	return Params{
		IoUType: iouType,
		// np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1)
		IoUThrs: Linspace(.5, 0.95, int(math.Round((0.95-.5)/.05))+1),
		RecThrs: Linspace(.0, 1.00, int(math.Round((1.00-.0)/.01))+1),
		MaxDets: []int{1, 10, 100},
		AreaRng: [][2]float64{
			{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5},
		},
		AreaRngLbl: []string{"all", "small", "medium", "large"},
		UseCats:    true,
	}
}

// normalize validates p and fills the defaults that depend on gt.
func (p Params) normalize(gt *GT) (Params, error) {
	q := p
	if q.IoUType != BBox && q.IoUType != Segm {
		return q, fmt.Errorf("eval: iou type %q, want bbox or segm", q.IoUType)
	}
	if q.ImgIDs == nil {
		q.ImgIDs = slices.Clone(gt.imageIDs)
	} else {
		q.ImgIDs = slices.Clone(q.ImgIDs)
		slices.Sort(q.ImgIDs)
		q.ImgIDs = slices.Compact(q.ImgIDs)
	}
	if q.CatIDs == nil {
		q.CatIDs = slices.Clone(gt.catIDs)
	} else {
		q.CatIDs = slices.Clone(q.CatIDs)
	}
	if q.UseCats {
		slices.Sort(q.CatIDs)
		q.CatIDs = slices.Compact(q.CatIDs)
	} else {
		seen := map[int64]bool{}
		for _, c := range q.CatIDs {
			if seen[c] {
				return q, fmt.Errorf("eval: category id %d repeated in params", c)
			}
			seen[c] = true
		}
	}
	if len(q.IoUThrs) == 0 || len(q.RecThrs) == 0 {
		return q, fmt.Errorf("eval: empty IoU or recall thresholds")
	}
	for _, v := range append(slices.Clone(q.IoUThrs), q.RecThrs...) {
		if math.IsNaN(v) {
			return q, fmt.Errorf("eval: NaN threshold")
		}
	}
	if len(q.MaxDets) == 0 {
		return q, fmt.Errorf("eval: no maxDets")
	}
	q.MaxDets = slices.Clone(q.MaxDets)
	slices.Sort(q.MaxDets)
	for i, m := range q.MaxDets {
		if m < 0 || (i > 0 && m == q.MaxDets[i-1]) {
			return q, fmt.Errorf("eval: maxDets %v must be distinct and non-negative", p.MaxDets)
		}
	}
	if len(q.AreaRng) == 0 || len(q.AreaRngLbl) != len(q.AreaRng) {
		return q, fmt.Errorf("eval: %d area ranges with %d labels", len(q.AreaRng), len(q.AreaRngLbl))
	}
	seen := map[string]bool{}
	for _, l := range q.AreaRngLbl {
		if seen[l] {
			return q, fmt.Errorf("eval: area range label %q repeated", l)
		}
		seen[l] = true
	}
	return q, nil
}
