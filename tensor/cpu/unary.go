package cpu

import "math"

// Relu sets dst[i] = src[i] where src[i] > 0, else +0 (NaN and -0 give
// +0). Branch-free (a sign test mispredicts half the time on activations).
func Relu(dst, src []float32) {
	dst = dst[:len(src)]
	Parallel(len(src), elemGrain, func(lo, hi int) { reluVec(dst[lo:hi], src[lo:hi]) })
}

// ReluBackward sets dx[i] = dy[i] where x[i] > 0, else +0. x may be the
// relu's input or its output (both are positive at the same places), so a
// caller can keep the output alone.
func ReluBackward(dx, x, dy []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	Parallel(len(x), elemGrain, func(lo, hi int) { reluGradVec(dx[lo:hi], x[lo:hi], dy[lo:hi]) })
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
