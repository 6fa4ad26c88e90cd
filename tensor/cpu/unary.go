package cpu

import "math"

// Relu sets dst[i] = max(src[i], 0).
func Relu(dst, src []float32) {
	Parallel(len(dst), 1<<15, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if v := src[i]; v > 0 {
				dst[i] = v
			} else {
				dst[i] = 0
			}
		}
	})
}

// ReluBackward sets dx[i] = dy[i] where x[i] > 0, else 0.
func ReluBackward(dx, x, dy []float32) {
	Parallel(len(dx), 1<<15, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if x[i] > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	})
}

// Sigmoid sets dst[i] = 1/(1+exp(-src[i])), stable for large |x|.
func Sigmoid(dst, src []float32) {
	Parallel(len(dst), 1<<13, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := float64(src[i])
			if x >= 0 {
				dst[i] = float32(1 / (1 + math.Exp(-x)))
			} else {
				e := math.Exp(x)
				dst[i] = float32(e / (1 + e))
			}
		}
	})
}
