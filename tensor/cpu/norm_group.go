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
	Parallel(n*groups, grainFor(2*blk), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs := x[p*blk : (p+1)*blk]
			var s float64
			for _, v := range xs {
				s += float64(v)
			}
			mu := s / float64(blk)
			var ss float64
			for _, v := range xs {
				d := float64(v) - mu
				ss += d * d
			}
			is := 1 / math.Sqrt(ss/float64(blk)+float64(eps))
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
				scale, shift := float32(sc), float32(sh)
				off := p*blk + k*hw
				ys := y[off : off+hw]
				for i, v := range x[off : off+hw] {
					ys[i] = v*scale + shift
				}
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
// positions. Any of dx, dweight, dbias may be nil.
func GroupNormBackward(dx, dweight, dbias, dy, x []float32, n, c, hw, groups int, mean, invstd, weight []float32) {
	cg := c / groups
	blk := cg * hw
	if dx != nil {
		Parallel(n*groups, grainFor(2*blk), func(lo, hi int) {
			for p := lo; p < hi; p++ {
				mu, is := float64(mean[p]), float64(invstd[p])
				g0 := (p % groups) * cg
				var s1, s2 float64
				for k := 0; k < cg; k++ {
					w := 1.0
					if weight != nil {
						w = float64(weight[g0+k])
					}
					off := p*blk + k*hw
					var a, b float64
					for i, d := range dy[off : off+hw] {
						a += float64(d)
						b += float64(d) * (float64(x[off+i]) - mu)
					}
					s1 += w * a
					s2 += w * b * is
				}
				a := float32(is * s1 / float64(blk))
				b := float32(is * is * s2 / float64(blk))
				mu32 := float32(mu)
				for k := 0; k < cg; k++ {
					w := float32(1)
					if weight != nil {
						w = weight[g0+k]
					}
					kk := w * float32(is)
					off := p*blk + k*hw
					xs, ds := x[off:off+hw], dx[off:off+hw]
					for i, d := range dy[off : off+hw] {
						ds[i] = d*kk - a - (xs[i]-mu32)*b
					}
				}
			}
		})
	}
	if dweight == nil && dbias == nil {
		return
	}
	Parallel(c, grainFor(2*n*hw), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g := ch / cg
			var sw, sb float64
			for i := 0; i < n; i++ {
				p := i*groups + g
				mu, is := float64(mean[p]), float64(invstd[p])
				off := (i*c + ch) * hw
				var a, b float64
				for j, d := range dy[off : off+hw] {
					a += float64(d)
					b += float64(d) * (float64(x[off+j]) - mu)
				}
				sb += a
				sw += b * is
			}
			if dweight != nil {
				dweight[ch] = float32(sw)
			}
			if dbias != nil {
				dbias[ch] = float32(sb)
			}
		}
	})
}
