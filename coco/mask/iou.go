package mask

import "fmt"

// BoxIoU returns the IoU of every detection box with every ground-truth box
// (bbIou), boxes as [x, y, width, height], as a len(dt) x len(gt) row-major
// matrix: o[d*len(gt)+g]. For a ground truth with iscrowd[g] set the
// denominator is the detection's area instead of the union. iscrowd may be
// nil (no crowds). Boxes must be finite.
func BoxIoU(dt, gt [][4]float64, iscrowd []bool) []float64 {
	if iscrowd != nil && len(iscrowd) != len(gt) {
		panic(fmt.Sprintf("mask.BoxIoU: %d iscrowd flags for %d ground truths", len(iscrowd), len(gt)))
	}
	o := make([]float64, len(dt)*len(gt))
	n := len(gt)
	for g := range gt {
		crowd := iscrowd != nil && iscrowd[g]
		for d := range dt {
			o[d*n+g] = BoxPairIoU(&dt[d], &gt[g], crowd)
		}
	}
	return o
}

// fmin and fmax are C's fmin/fmax for non-NaN operands.
func fmin(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// BoxPairIoU is BoxIoU for one detection box D and one ground-truth box G.
func BoxPairIoU(D, G *[4]float64, crowd bool) float64 {
	// The explicit float64 conversions keep the compiler from fusing
	// multiply-adds, which would change the last bit.
	w := fmin(D[2]+D[0], G[2]+G[0]) - fmax(D[0], G[0])
	if w <= 0 {
		return 0
	}
	h := fmin(D[3]+D[1], G[3]+G[1]) - fmax(D[1], G[1])
	if h <= 0 {
		return 0
	}
	i := float64(w * h)
	da := float64(D[2] * D[3])
	if crowd {
		return i / da
	}
	ga := float64(G[2] * G[3])
	return i / (float64(da+ga) - i)
}

// IoU returns the mask IoU of every detection with every ground truth
// (rleIou) as a len(dt) x len(gt) row-major matrix: o[d*len(gt)+g]. For a
// ground truth with iscrowd[g] set the denominator is the detection's area
// (intersection over detection area). iscrowd may be nil. All masks must be
// valid and of one size.
func IoU(dt, gt []RLE, iscrowd []bool) ([]float64, error) {
	if iscrowd != nil && len(iscrowd) != len(gt) {
		return nil, fmt.Errorf("mask: IoU: %d iscrowd flags for %d ground truths", len(iscrowd), len(gt))
	}
	if len(dt) == 0 || len(gt) == 0 {
		return []float64{}, nil
	}
	h, w := gt[0].H, gt[0].W
	check := func(kind string, rs []RLE) ([][4]float64, error) {
		boxes := make([][4]float64, len(rs))
		for i := range rs {
			if err := rs[i].Validate(); err != nil {
				return nil, fmt.Errorf("mask: IoU %s %d: %w", kind, i, err)
			}
			if rs[i].H != h || rs[i].W != w {
				return nil, fmt.Errorf("mask: IoU %s %d is %dx%d, ground truth 0 is %dx%d", kind, i, rs[i].H, rs[i].W, h, w)
			}
			boxes[i] = rs[i].ToBBox()
		}
		return boxes, nil
	}
	db, err := check("detection", dt)
	if err != nil {
		return nil, err
	}
	gb, err := check("ground truth", gt)
	if err != nil {
		return nil, err
	}
	o := make([]float64, len(dt)*len(gt))
	n := len(gt)
	for d := range dt {
		for g := range gt {
			crowd := iscrowd != nil && iscrowd[g]
			// Boxes that do not overlap bound masks that do not: skip the
			// run walk, as pycocotools does.
			if BoxPairIoU(&db[d], &gb[g], crowd) > 0 {
				o[d*n+g] = PairIoU(&dt[d], &gt[g], crowd)
			}
		}
	}
	return o, nil
}

// PairIoU is the mask IoU of one detection and one ground truth of the same
// size whose counts are valid (not checked here): intersection over union,
// or over the detection's area for a crowd ground truth. It is rleIou's run
// walk without the box pre-check.
func PairIoU(dt, gt *RLE, crowd bool) float64 {
	A, B := dt.Counts, gt.Counts
	if len(A) == 0 || len(B) == 0 {
		return 0
	}
	ca, cb := A[0], B[0]
	var va, vb bool
	a, b := 1, 1
	var i, u uint64
	for ct := uint32(1); ct > 0; {
		c := min(ca, cb)
		if va || vb {
			u += uint64(c)
			if va && vb {
				i += uint64(c)
			}
		}
		ct = 0
		ca -= c
		if ca == 0 && a < len(A) {
			ca = A[a]
			a++
			va = !va
		}
		ct += ca
		cb -= c
		if cb == 0 && b < len(B) {
			cb = B[b]
			b++
			vb = !vb
		}
		ct += cb
	}
	if i == 0 {
		return 0
	} else if crowd {
		u = uint64(dt.Area())
	}
	return float64(i) / float64(u)
}
