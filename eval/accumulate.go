package eval

import "slices"

// eps is numpy.spacing(1), added to precision denominators.
const eps = 2.220446049250313e-16

// Result holds COCOeval's accumulated arrays and summary.
type Result struct {
	// Params are the normalized parameters the evaluation ran with.
	Params Params
	// T, R, K, A, M are the array dimensions (K is 1 without UseCats).
	T, R, K, A, M int
	// Precision is [T][R][K][A][M] flattened row-major; -1 where no ground
	// truth. Recall is [T][K][A][M]. (pycocotools' eval["scores"], the
	// score at each recall point, is not kept: nothing reads it and it is
	// as large as Precision.)
	Precision, Recall []float64
	// Stats are the 12 summary numbers (see StatNames).
	Stats Stats
	// PerCategory is AP@[.50:.95] per category over area range 0 and the
	// largest maxDets (empty without UseCats); -1 for categories without
	// ground truth.
	PerCategory []CategoryAP
}

// CategoryAP is one category's AP.
type CategoryAP struct {
	ID   int64
	Name string
	AP   float64
}

func (r *Result) pIndex(t, ri, k, a, m int) int {
	return (((t*r.R+ri)*r.K+k)*r.A+a)*r.M + m
}

func (r *Result) rIndex(t, k, a, m int) int {
	return ((t*r.K+k)*r.A+a)*r.M + m
}

// ranked is one detection in accumulate's merged ranking.
type ranked struct {
	score float64
	d     int32 // rank in its image
	img   int32 // image index
}

// accumulate is COCOeval.accumulate over evals[(k*A+a)*I+i].
func accumulate(p *Params, evals []*imgEval, K int) *Result {
	I := len(p.ImgIDs)
	res := &Result{Params: *p, T: len(p.IoUThrs), R: len(p.RecThrs), K: K, A: len(p.AreaRng), M: len(p.MaxDets)}
	T, R, A, M := res.T, res.R, res.A, res.M
	res.Precision = make([]float64, T*R*K*A*M)
	res.Recall = make([]float64, T*K*A*M)
	for i := range res.Precision {
		res.Precision[i] = -1
	}
	for i := range res.Recall {
		res.Recall[i] = -1
	}
	parallelFor(K, func(k int) {
		// One ranking per category, shared by every area range and maxDets:
		// the detections and their order do not depend on the area range
		// (only their flags do), and a group is present (non-nil) for all
		// area ranges or none. Order: descending score, ties in the order
		// of concatenation (image, then rank in image), as numpy's stable
		// mergesort of the concatenated scores; truncating to a smaller
		// maxDets keeps this relative order.
		es0 := evals[k*A*I : (k*A+1)*I]
		total := 0
		for _, e := range es0 {
			if e != nil {
				total += len(e.scores)
			}
		}
		all := make([]ranked, 0, total)
		for i, e := range es0 {
			if e == nil {
				continue
			}
			for d, s := range e.scores {
				all = append(all, ranked{score: s, d: int32(d), img: int32(i)})
			}
		}
		slices.SortFunc(all, func(x, y ranked) int {
			switch {
			case x.score > y.score:
				return -1
			case x.score < y.score:
				return 1
			case x.img != y.img:
				return int(x.img - y.img)
			}
			return int(x.d - y.d)
		})
		sel := make([]int32, 0, len(all)) // indices into all
		pr := make([]float64, len(all))
		flags := make([]uint8, T*len(all)) // [t][j] for the ranking, one area range
		for a := 0; a < A; a++ {
			es := evals[(k*A+a)*I : (k*A+a+1)*I]
			npig := 0
			for _, e := range es {
				if e != nil {
					npig += e.npig
				}
			}
			if npig == 0 {
				continue
			}
			n := len(all)
			for j, x := range all {
				e := es[x.img]
				D := len(e.scores)
				for t := 0; t < T; t++ {
					flags[t*n+j] = e.flags[t*D+int(x.d)]
				}
			}
			for m, maxDet := range p.MaxDets {
				sel = sel[:0]
				for j, x := range all {
					if int(x.d) < maxDet {
						sel = append(sel, int32(j))
					}
				}
				nd := len(sel)
				for t := 0; t < T; t++ {
					ft := flags[t*n : (t+1)*n]
					// tp and fp are cumulative counts (exact in float64);
					// rc is tp/npig, pr is tp/(fp+tp+eps), both per rank.
					var tp, fp float64
					for i, j := range sel {
						f := ft[j]
						if f&flagIgnored == 0 {
							if f&flagMatched != 0 {
								tp++
							} else {
								fp++
							}
						}
						pr[i] = tp / (fp + tp + eps)
					}
					if nd > 0 {
						res.Recall[res.rIndex(t, k, a, m)] = tp / float64(npig)
					} else {
						res.Recall[res.rIndex(t, k, a, m)] = 0
					}
					for i := nd - 1; i > 0; i-- {
						if pr[i] > pr[i-1] {
							pr[i-1] = pr[i]
						}
					}
					// q starts at 0; searchsorted(rc, recThrs,
					// "left") is the first rank with rc >= thr; the
					// try/except in pycocotools stops at the first rank
					// past the end. rc is recomputed as the walk goes
					// (tp counts again, so it is the same value).
					pi, tpi := 0, 0.0
					advance := func() {
						if f := ft[sel[pi]]; f&flagIgnored == 0 && f&flagMatched != 0 {
							tpi++
						}
					}
					if nd > 0 {
						advance()
					}
					for ri, thr := range p.RecThrs {
						if ri > 0 && thr < p.RecThrs[ri-1] { // unsorted: search afresh
							pi, tpi = 0, 0
							if nd > 0 {
								advance()
							}
						}
						for pi < nd && tpi/float64(npig) < thr {
							pi++
							if pi < nd {
								advance()
							}
						}
						if pi >= nd {
							for ; ri < len(p.RecThrs); ri++ {
								res.Precision[res.pIndex(t, ri, k, a, m)] = 0
							}
							break
						}
						res.Precision[res.pIndex(t, ri, k, a, m)] = pr[pi]
					}
				}
			}
		}
	})
	return res
}
