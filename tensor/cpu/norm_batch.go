package cpu

import "math"

// Batch normalization kernels. x is a contiguous [n, c, hw] array; the
// per-channel slices have c elements. A nil weight means 1, a nil bias 0.

// normGrain is the number of values one goroutine should at least process,
// so tiny tensors run inline.
const normGrain = 1 << 14

// grainFor turns a per-item cost into a Parallel grain (in items).
func grainFor(itemCost int) int {
	if itemCost <= 0 {
		return normGrain
	}
	g := normGrain / itemCost
	if g < 1 {
		g = 1
	}
	return g
}

// BatchNormStats computes each channel's mean and 1/sqrt(biased var + eps)
// over n*hw values (two passes, float64 accumulation). When runMean and
// runVar are not nil it blends them in place with the batch mean and the
// unbiased variance: run = (1-momentum)*run + momentum*stat.
func BatchNormStats(x []float32, n, c, hw int, eps, momentum float32, mean, invstd, runMean, runVar []float32) {
	m := n * hw
	Parallel(c, grainFor(m), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for i := 0; i < n; i++ {
				s += normSum(x[(i*c+ch)*hw : (i*c+ch+1)*hw])
			}
			mu := s / float64(m)
			var ss float64
			for i := 0; i < n; i++ {
				ss += normSumSqDev(x[(i*c+ch)*hw:(i*c+ch+1)*hw], mu)
			}
			variance := ss / float64(m)
			mean[ch] = float32(mu)
			invstd[ch] = float32(1 / math.Sqrt(variance+float64(eps)))
			if runMean != nil {
				mo := float64(momentum)
				unbiased := variance
				if m > 1 {
					unbiased = ss / float64(m-1)
				}
				runMean[ch] = float32((1-mo)*float64(runMean[ch]) + mo*mu)
				runVar[ch] = float32((1-mo)*float64(runVar[ch]) + mo*unbiased)
			}
		}
	})
}

// InvStd sets invstd[i] = 1/sqrt(v[i] + eps).
func InvStd(invstd, v []float32, eps float32) {
	for i, x := range v {
		invstd[i] = float32(1 / math.Sqrt(float64(x)+float64(eps)))
	}
}

// channelScaleShift returns scale = weight*invstd and shift = bias -
// mean*scale for channel ch.
func channelScaleShift(ch int, mean, invstd, weight, bias []float32) (scale, shift float32) {
	sc := float64(invstd[ch])
	if weight != nil {
		sc *= float64(weight[ch])
	}
	sh := -float64(mean[ch]) * sc
	if bias != nil {
		sh += float64(bias[ch])
	}
	return float32(sc), float32(sh)
}

// BatchNormApply computes y = x*scale[ch] + shift[ch] with scale =
// weight*invstd and shift = bias - mean*scale, in parallel over the n*c
// planes.
func BatchNormApply(y, x []float32, n, c, hw int, mean, invstd, weight, bias []float32) {
	Parallel(n*c, grainFor(hw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			scale, shift := channelScaleShift(p%c, mean, invstd, weight, bias)
			normScaleShift(y[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], scale, shift)
		}
	})
}

// BatchNormBackward computes the gradients of BatchNormApply. With
// batchStats (training) mean and invstd were computed from x, and
//
//	dx = weight*invstd * (dy - mean(dy) - xhat*mean(dy*xhat)),
//
// otherwise dx = dy*weight*invstd. dweight = sum(dy*xhat) and dbias =
// sum(dy) over n and hw, where xhat = (x-mean)*invstd. Any of dx, dweight,
// dbias may be nil.
func BatchNormBackward(dx, dweight, dbias, dy, x []float32, n, c, hw int, mean, invstd, weight []float32, batchStats bool) {
	m := n * hw
	Parallel(c, grainFor(2*m), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mu, is := float64(mean[ch]), float64(invstd[ch])
			w := 1.0
			if weight != nil {
				w = float64(weight[ch])
			}
			var sumDy, sumDyXhat float64
			if batchStats || dweight != nil || dbias != nil {
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					a, b := normSumDyDev(dy[off:off+hw], x[off:], mu)
					sumDy += a
					sumDyXhat += b
				}
				sumDyXhat *= is
			}
			if dweight != nil {
				dweight[ch] = float32(sumDyXhat)
			}
			if dbias != nil {
				dbias[ch] = float32(sumDy)
			}
			if dx == nil {
				continue
			}
			k := float32(w * is)
			if !batchStats {
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					binVS(BinMul, dx[off:off+hw], dy[off:off+hw], k)
				}
				continue
			}
			// dx = k*dy - k*meanDy - (x-mu)*k*invstd*meanDyXhat
			a := float32(w * is * sumDy / float64(m))
			b := float32(w * is * is * sumDyXhat / float64(m))
			mu32 := float32(mu)
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				bnDxVec(dx[off:off+hw], dy[off:off+hw], x[off:off+hw], k, a, mu32, b)
			}
		}
	})
}
