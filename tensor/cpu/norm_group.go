package cpu

import "math"

// Group normalization kernels. x is a contiguous [n, c, hw] array whose c
// channels split into groups of cg = c/groups consecutive channels; the
// statistics (mean, invstd) have n*groups entries, sample-major. A nil
// weight means 1, a nil bias 0.

// GroupNormForward normalizes every (sample, group) block of cg*hw values by
// its mean and biased variance (float64 accumulation, two passes) and
// applies the per-channel affine. Parallel over the n*groups blocks.
func GroupNormForward(y, x []float32, n, c, hw, groups int, eps float32, weight, bias, mean, invstd []float32) {
	cg := c / groups
	blk := cg * hw
	Parallel(n*groups, grainFor(3*blk), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs := x[p*blk : (p+1)*blk]
			mu := normSum(xs) / float64(blk)
			is := 1 / math.Sqrt(normSumSqDev(xs, mu)/float64(blk)+float64(eps))
			mean[p], invstd[p] = float32(mu), float32(is)
			g := p % groups
			for k := 0; k < cg; k++ {
				ch := g*cg + k
				sc := is
				if weight != nil {
					sc *= float64(weight[ch])
				}
				sh := -mu * sc
				if bias != nil {
					sh += float64(bias[ch])
				}
				off := p*blk + k*hw
				normScaleShift(y[off:off+hw], x[off:off+hw], float32(sc), float32(sh))
			}
		}
	})
}

// GroupNormBackward computes the gradients of GroupNormForward. Per block,
// with xhat = (x-mean)*invstd, g = dy*weight[ch] and M = cg*hw:
//
//	dx = invstd * (g - sum(g)/M - xhat*sum(g*xhat)/M),
//
// and per channel dweight = sum(dy*xhat), dbias = sum(dy) over samples and
// positions. One pass computes per-(sample, channel) sums of dy and
// dy*(x-mean) that serve both; a second writes dx. Any of dx, dweight,
// dbias may be nil.
func GroupNormBackward(dx, dweight, dbias, dy, x []float32, n, c, hw, groups int, mean, invstd, weight []float32) {
	cg := c / groups
	blk := cg * hw
	sumDy := make([]float64, n*c)    // sum of dy per (sample, channel)
	sumDyDev := make([]float64, n*c) // sum of dy*(x-mean) per (sample, channel)
	Parallel(n*groups, grainFor(3*blk), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, g := p/groups, p%groups
			mu, is := float64(mean[p]), float64(invstd[p])
			var s1, s2 float64
			for k := 0; k < cg; k++ {
				ch := g*cg + k
				off := p*blk + k*hw
				a, b := normSumDyDev(dy[off:off+hw], x[off:], mu)
				sumDy[i*c+ch], sumDyDev[i*c+ch] = a, b
				w := 1.0
				if weight != nil {
					w = float64(weight[ch])
				}
				s1 += w * a
				s2 += w * b
			}
			if dx == nil {
				continue
			}
			// dx = w*is*dy - is*s1/M - (x-mu)*is^3*s2/M
			a := float32(is * s1 / float64(blk))
			b := float32(is * is * is * s2 / float64(blk))
			mu32 := float32(mu)
			for k := 0; k < cg; k++ {
				ch := g*cg + k
				kk := float32(is)
				if weight != nil {
					kk = float32(is * float64(weight[ch]))
				}
				off := p*blk + k*hw
				bnDxVec(dx[off:off+hw], dy[off:off+hw], x[off:off+hw], kk, a, mu32, b)
			}
		}
	})
	for ch := 0; ch < c; ch++ {
		var sw, sb float64
		for i := 0; i < n; i++ {
			sb += sumDy[i*c+ch]
			sw += sumDyDev[i*c+ch] * float64(invstd[i*groups+ch/cg])
		}
		if dweight != nil {
			dweight[ch] = float32(sw)
		}
		if dbias != nil {
			dbias[ch] = float32(sb)
		}
	}
}
