package cpu

import "math"

// Softmax computes softmax (or log-softmax when log is set) of src viewed as
// [outer, n, inner] along the middle axis into dst. It subtracts each line's
// maximum first, so large inputs do not overflow.
func Softmax(dst, src []float32, outer, n, inner int, log bool) {
	lines := outer * inner
	if lines == 0 || n == 0 {
		return
	}
	grain := 4096 / n
	if grain < 1 {
		grain = 1
	}
	Parallel(lines, grain, func(lo, hi int) {
		for l := lo; l < hi; l++ {
			base := (l/inner)*n*inner + l%inner
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				if v := float64(src[base+j*inner]); v > mx {
					mx = v
				}
			}
			if math.IsInf(mx, -1) {
				mx = 0 // all -Inf: avoid -Inf - -Inf = NaN in the shift
			}
			s := 0.0
			for j := 0; j < n; j++ {
				s += math.Exp(float64(src[base+j*inner]) - mx)
			}
			if log {
				ls := mx + math.Log(s)
				for j := 0; j < n; j++ {
					dst[base+j*inner] = float32(float64(src[base+j*inner]) - ls)
				}
			} else {
				inv := 1 / s
				for j := 0; j < n; j++ {
					dst[base+j*inner] = float32(math.Exp(float64(src[base+j*inner])-mx) * inv)
				}
			}
		}
	})
}

// SoftmaxBackward computes dx from the forward output y and the output
// gradient dy, all viewed as [outer, n, inner]:
//
//	softmax:     dx = y * (dy - sum(dy*y))
//	log-softmax: dx = dy - exp(y) * sum(dy)
func SoftmaxBackward(dx, y, dy []float32, outer, n, inner int, log bool) {
	lines := outer * inner
	if lines == 0 || n == 0 {
		return
	}
	grain := 4096 / n
	if grain < 1 {
		grain = 1
	}
	Parallel(lines, grain, func(lo, hi int) {
		for l := lo; l < hi; l++ {
			base := (l/inner)*n*inner + l%inner
			s := 0.0
			for j := 0; j < n; j++ {
				k := base + j*inner
				if log {
					s += float64(dy[k])
				} else {
					s += float64(dy[k]) * float64(y[k])
				}
			}
			for j := 0; j < n; j++ {
				k := base + j*inner
				if log {
					dx[k] = float32(float64(dy[k]) - math.Exp(float64(y[k]))*s)
				} else {
					dx[k] = float32(float64(y[k]) * (float64(dy[k]) - s))
				}
			}
		}
	})
}
