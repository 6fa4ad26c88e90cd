package eval

import (
	"slices"
	"sort"
)

// eps is numpy.spacing(1), added to precision denominators.
const eps = 2.220446049250313e-16

// Result holds COCOeval's accumulated arrays and summary.
type Result struct {
	// Params are the normalized parameters the evaluation ran with.
	Params Params
	// T, R, K, A, M are the array dimensions (K is 1 without UseCats).
	T, R, K, A, M int
	// Precision is [T][R][K][A][M] flattened row-major; -1 where no ground
	// truth. Recall is [T][K][A][M]; Scores is [T][R][K][A][M], the score
	// at each recall point (pycocotools' eval["scores"]).
	Precision, Recall, Scores []float64
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
	e     *imgEval
	d     int32
	img   int32
}

// accumulate is COCOeval.accumulate over evals[(k*A+a)*I+i].
func accumulate(p *Params, evals []*imgEval, K int) *Result {
	I := len(p.ImgIDs)
	res := &Result{Params: *p, T: len(p.IoUThrs), R: len(p.RecThrs), K: K, A: len(p.AreaRng), M: len(p.MaxDets)}
	T, R, A, M := res.T, res.R, res.A, res.M
	res.Precision = make([]float64, T*R*K*A*M)
	res.Scores = make([]float64, T*R*K*A*M)
	res.Recall = make([]float64, T*K*A*M)
	for i := range res.Precision {
		res.Precision[i], res.Scores[i] = -1, -1
	}
	for i := range res.Recall {
		res.Recall[i] = -1
	}
	parallelFor(K*A, func(n int) {
		k, a := n/A, n%A
		es := evals[(k*A+a)*I : (k*A+a+1)*I]
		npig, total := 0, 0
		for _, e := range es {
			if e != nil {
				npig += e.npig
				total += len(e.scores)
			}
		}
		if npig == 0 {
			return
		}
		// One ranking for all maxDets: by descending score, ties in the
		// order of concatenation (image, then rank in image), as numpy's
		// stable mergesort of the concatenated scores. Truncating to a
		// smaller maxDets keeps this relative order.
		all := make([]ranked, 0, total)
		for i, e := range es {
			if e == nil {
				continue
			}
			for d, s := range e.scores {
				all = append(all, ranked{score: s, e: e, d: int32(d), img: int32(i)})
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
		sel := make([]ranked, 0, len(all))
		rc := make([]float64, 0, len(all))
		pr := make([]float64, 0, len(all))
		for m, maxDet := range p.MaxDets {
			sel = sel[:0]
			for _, x := range all {
				if int(x.d) < maxDet {
					sel = append(sel, x)
				}
			}
			nd := len(sel)
			for t := 0; t < T; t++ {
				rc, pr = rc[:0], pr[:0]
				var tp, fp float64
				for _, x := range sel {
					f := x.e.flags[t*len(x.e.scores)+int(x.d)]
					if f&flagIgnored == 0 {
						if f&flagMatched != 0 {
							tp++
						} else {
							fp++
						}
					}
					rc = append(rc, tp/float64(npig))
					pr = append(pr, tp/(fp+tp+eps))
				}
				if nd > 0 {
					res.Recall[res.rIndex(t, k, a, m)] = rc[nd-1]
				} else {
					res.Recall[res.rIndex(t, k, a, m)] = 0
				}
				for i := nd - 1; i > 0; i-- {
					if pr[i] > pr[i-1] {
						pr[i-1] = pr[i]
					}
				}
				// q and ss start at 0; searchsorted(rc, recThrs, "left"),
				// stopping at the first index past the end as the
				// try/except in pycocotools does.
				stopped := false
				for ri, thr := range p.RecThrs {
					pi := 0
					if !stopped {
						pi = sort.Search(nd, func(i int) bool { return rc[i] >= thr })
						stopped = pi >= nd
					}
					q, ss := 0.0, 0.0
					if !stopped {
						q, ss = pr[pi], sel[pi].score
					}
					res.Precision[res.pIndex(t, ri, k, a, m)] = q
					res.Scores[res.pIndex(t, ri, k, a, m)] = ss
				}
			}
		}
	})
	return res
}
