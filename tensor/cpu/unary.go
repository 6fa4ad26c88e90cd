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

// UnaryKind names an elementwise function of one argument handled by Unary
// and UnaryBackward (Relu and Sigmoid have their own functions above).
type UnaryKind int

// The functions of Unary.
const (
	UExp UnaryKind = iota
	ULog
	UNeg
	USqrt
	UAbs
	UTanh
)

// Unary sets dst[i] = fn(src[i]).
func Unary(kind UnaryKind, dst, src []float32) {
	Parallel(len(dst), 1<<13, func(lo, hi int) {
		d, s := dst[lo:hi], src[lo:hi]
		switch kind {
		case UExp:
			for i, v := range s {
				d[i] = float32(math.Exp(float64(v)))
			}
		case ULog:
			for i, v := range s {
				d[i] = float32(math.Log(float64(v)))
			}
		case UNeg:
			for i, v := range s {
				d[i] = -v
			}
		case USqrt:
			for i, v := range s {
				d[i] = float32(math.Sqrt(float64(v)))
			}
		case UAbs:
			for i, v := range s {
				d[i] = float32(math.Abs(float64(v)))
			}
		case UTanh:
			for i, v := range s {
				d[i] = float32(math.Tanh(float64(v)))
			}
		}
	})
}

// UnaryBackward sets dx[i] = dy[i] * fn'(x[i]), using the forward output y
// where that is cheaper: exp' = y, log' = 1/x, sqrt' = 0.5/y, abs' = sign(x)
// (0 at 0), tanh' = 1 - y².
func UnaryBackward(kind UnaryKind, dx, x, y, dy []float32) {
	Parallel(len(dx), 1<<15, func(lo, hi int) {
		d, g := dx[lo:hi], dy[lo:hi]
		switch kind {
		case UExp:
			yy := y[lo:hi]
			for i := range d {
				d[i] = g[i] * yy[i]
			}
		case ULog:
			xx := x[lo:hi]
			for i := range d {
				d[i] = g[i] / xx[i]
			}
		case UNeg:
			for i := range d {
				d[i] = -g[i]
			}
		case USqrt:
			yy := y[lo:hi]
			for i := range d {
				d[i] = g[i] * 0.5 / yy[i]
			}
		case UAbs:
			xx := x[lo:hi]
			for i := range d {
				switch {
				case xx[i] > 0:
					d[i] = g[i]
				case xx[i] < 0:
					d[i] = -g[i]
				default:
					d[i] = 0
				}
			}
		case UTanh:
			yy := y[lo:hi]
			for i := range d {
				d[i] = g[i] * (1 - yy[i]*yy[i])
			}
		}
	})
}
