package eval

import (
	"fmt"
	"slices"

	"github.com/gcdet/gcdet/coco/mask"
)

// Shapes (pycocotools' names): T IoU thresholds, R recall thresholds,
// K categories (1 without UseCats), A area ranges, M maxDets, I images.

// gtItem is one ground truth of an image x category group.
type gtItem struct {
	id     int64
	area   float64
	crowd  bool
	box    [4]float64
	rle    *mask.RLE
	rbox   [4]float64 // rle's bounding box
	ignore bool       // iscrowd, before the area range
}

// imgEval is evaluateImg's result for one image, category and area range,
// reduced to what accumulate reads.
type imgEval struct {
	scores []float64 // detections by descending score, at most maxDets[M-1]
	// flags[t*D+d]: bit 0 the detection matched a ground truth with a
	// non-zero id (dtMatches != 0), bit 1 it is ignored (dtIgnore).
	flags []uint8
	npig  int // ground truths not ignored
}

const (
	flagMatched = 1
	flagIgnored = 2
)

// Evaluate runs COCOeval (evaluate, accumulate, summarize) on dets against
// gt. Params zero values are not defaults: start from DefaultParams.
func Evaluate(gt *GT, dets []Detection, p Params) (*Result, error) {
	p, err := p.normalize(gt)
	if err != nil {
		return nil, err
	}
	ds, err := prepare(gt, dets, p.IoUType)
	if err != nil {
		return nil, err
	}
	var gtRLE []mask.RLE
	if p.IoUType == Segm {
		if gtRLE, err = gt.segms(); err != nil {
			return nil, err
		}
	}

	// Group ground truth and detections by image and category, in
	// pycocotools' order: images sorted, annotations in file order,
	// detections in input order.
	K := len(p.CatIDs)
	catIndex := make(map[int64]int, K)
	for k, c := range p.CatIDs {
		catIndex[c] = k
	}
	imgIndex := make(map[int64]int, len(p.ImgIDs))
	for i, id := range p.ImgIDs {
		imgIndex[id] = i
	}
	I := len(p.ImgIDs)
	gts := make([][]gtItem, I*K) // [i*K+k]
	dtsG := make([][]*det, I*K)
	for i, id := range p.ImgIDs {
		for _, ai := range gt.byImage[id] {
			a := &gt.file.Annotations[ai]
			k, ok := catIndex[a.CategoryID]
			if !ok {
				continue
			}
			g := gtItem{id: a.ID, area: a.Area, crowd: a.IsCrowd != 0, ignore: a.IsCrowd != 0}
			copy(g.box[:], a.BBox)
			if gtRLE != nil {
				g.rle, g.rbox = &gtRLE[ai], gt.rleBoxes[ai]
			}
			gts[i*K+k] = append(gts[i*K+k], g)
		}
	}
	for j := range ds {
		d := &ds[j]
		i, ok := imgIndex[d.img]
		if !ok {
			continue
		}
		k, ok := catIndex[d.cat]
		if !ok {
			continue
		}
		dtsG[i*K+k] = append(dtsG[i*K+k], d)
	}
	// Without categories, one group per image: per-category lists
	// concatenated in CatIDs order.
	groupsK := K
	if !p.UseCats {
		groupsK = 1
		g2 := make([][]gtItem, I)
		d2 := make([][]*det, I)
		for i := 0; i < I; i++ {
			for k := 0; k < K; k++ {
				g2[i] = append(g2[i], gts[i*K+k]...)
				d2[i] = append(d2[i], dtsG[i*K+k]...)
			}
		}
		gts, dtsG = g2, d2
	}

	A := len(p.AreaRng)
	evals := make([]*imgEval, groupsK*A*I) // [(k*A+a)*I+i], nil = no gt and no dt
	errs := make([]error, I*groupsK)
	parallelFor(I*groupsK, func(n int) {
		i, k := n/groupsK, n%groupsK
		errs[n] = evaluateGroup(&p, gts[n], dtsG[n], func(a int, e *imgEval) {
			evals[(k*A+a)*I+i] = e
		})
		if errs[n] != nil {
			errs[n] = fmt.Errorf("eval: image %d: %w", p.ImgIDs[i], errs[n])
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res := accumulate(&p, evals, groupsK)
	res.summarize(gt)
	return res, nil
}

// evaluateGroup is computeIoU plus evaluateImg for every area range of one
// image x category group.
func evaluateGroup(p *Params, gts []gtItem, dts []*det, put func(a int, e *imgEval)) error {
	if len(gts) == 0 && len(dts) == 0 {
		return nil
	}
	// Detections by descending score, stable, capped at the largest maxDets.
	dts = slices.Clone(dts)
	slices.SortStableFunc(dts, func(a, b *det) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	if maxDet := p.MaxDets[len(p.MaxDets)-1]; len(dts) > maxDet {
		dts = dts[:maxDet]
	}
	D, G := len(dts), len(gts)
	ious, err := computeIoU(p.IoUType, gts, dts)
	if err != nil {
		return err
	}
	T := len(p.IoUThrs)
	gtOrder := make([]int, G)
	gtIg := make([]bool, G) // in gtOrder
	gtMatched := make([]bool, T*G)
	dtMatch := make([]int, T*D) // index into gtOrder, -1 none
	for a, rng := range p.AreaRng {
		e := &imgEval{scores: make([]float64, D), flags: make([]uint8, T*D)}
		// Ground truth not ignored first, stable.
		n := 0
		for g := range gts {
			if !(gts[g].ignore || gts[g].area < rng[0] || gts[g].area > rng[1]) {
				gtOrder[n] = g
				n++
			}
		}
		e.npig = n
		for g := range gts {
			if gts[g].ignore || gts[g].area < rng[0] || gts[g].area > rng[1] {
				gtOrder[n] = g
				n++
			}
		}
		for j := range gtIg {
			gtIg[j] = j >= e.npig
		}
		clear(gtMatched)
		for j := range dtMatch {
			dtMatch[j] = -1
		}
		if D > 0 && G > 0 {
			for t, thr := range p.IoUThrs {
				for d := 0; d < D; d++ {
					iou := min(thr, 1-1e-10)
					m := -1
					row := ious[d*G : (d+1)*G]
					for j, g := range gtOrder {
						if gtMatched[t*G+j] && !gts[g].crowd {
							continue
						}
						if m > -1 && !gtIg[m] && gtIg[j] {
							break
						}
						if row[g] < iou {
							continue
						}
						iou = row[g]
						m = j
					}
					if m == -1 {
						continue
					}
					dtMatch[t*D+d] = m
					gtMatched[t*G+m] = true
				}
			}
		}
		for d := 0; d < D; d++ {
			e.scores[d] = dts[d].score
			outside := dts[d].area < rng[0] || dts[d].area > rng[1]
			for t := 0; t < T; t++ {
				var f uint8
				matchedID := int64(0)
				if m := dtMatch[t*D+d]; m >= 0 {
					matchedID = gts[gtOrder[m]].id
					if gtIg[m] {
						f |= flagIgnored
					}
				}
				if matchedID != 0 {
					f |= flagMatched
				} else if outside {
					f |= flagIgnored
				}
				e.flags[t*D+d] = f
			}
		}
		put(a, e)
	}
	return nil
}

// computeIoU returns the D x G IoU matrix (row-major) of the sorted
// detections against the group's ground truth in group order.
func computeIoU(t IoUType, gts []gtItem, dts []*det) ([]float64, error) {
	D, G := len(dts), len(gts)
	o := make([]float64, D*G)
	if D == 0 || G == 0 {
		return o, nil
	}
	if t == BBox {
		for d := range dts {
			for g := range gts {
				o[d*G+g] = mask.BoxPairIoU(&dts[d].box, &gts[g].box, gts[g].crowd)
			}
		}
		return o, nil
	}
	for d := range dts {
		dr := dts[d].rle
		if dr.H != gts[0].rle.H || dr.W != gts[0].rle.W {
			return nil, fmt.Errorf("result %d mask is %dx%d, ground truth is %dx%d", dts[d].id-1, dr.H, dr.W, gts[0].rle.H, gts[0].rle.W)
		}
		for g := range gts {
			// Boxes that do not overlap bound masks that do not: skip the
			// run walk, as pycocotools does.
			if mask.BoxPairIoU(&dts[d].rbox, &gts[g].rbox, gts[g].crowd) > 0 {
				o[d*G+g] = mask.PairIoU(dr, gts[g].rle, gts[g].crowd)
			}
		}
	}
	return o, nil
}
