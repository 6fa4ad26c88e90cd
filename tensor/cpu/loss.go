package cpu

import "math"

// LossKind names an elementwise loss of a prediction x and a target t.
type LossKind int

// The elementwise losses.
const (
	// LossBCEWithLogits is max(x,0) - x*t + log1p(exp(-|x|)), the binary
	// cross entropy of sigmoid(x) against t without overflow.
	LossBCEWithLogits LossKind = iota
	// LossSmoothL1 with d = x - t is 0.5*d*d/beta where |d| < beta, else
	// |d| - 0.5*beta; beta = 0 gives |d|.
	LossSmoothL1
)

// Loss sets dst[i] to the elementwise loss of x[i] against t[i]; param is
// beta for smooth L1 and unused otherwise.
func Loss(kind LossKind, dst, x, t []float32, param float32) {
	beta := float64(param)
	Parallel(len(dst), 1<<13, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xv, tv := float64(x[i]), float64(t[i])
			var v float64
			switch kind {
			case LossBCEWithLogits:
				v = math.Max(xv, 0) - xv*tv + math.Log1p(math.Exp(-math.Abs(xv)))
			case LossSmoothL1:
				d := xv - tv
				ad := math.Abs(d)
				if ad < beta {
					v = 0.5 * d * d / beta
				} else {
					v = ad - 0.5*beta
				}
			}
			dst[i] = float32(v)
		}
	})
}

// LossBackward sets dx[i] = dy[i] * d loss(x[i], t[i]) / d x[i]:
// sigmoid(x) - t for BCE with logits; d/beta inside the quadratic zone of
// smooth L1 and sign(d) outside it (sign(0) = 0 when beta = 0).
func LossBackward(kind LossKind, dx, x, t, dy []float32, param float32) {
	beta := float64(param)
	Parallel(len(dx), 1<<13, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xv, tv := float64(x[i]), float64(t[i])
			var g float64
			switch kind {
			case LossBCEWithLogits:
				var s float64
				if xv >= 0 {
					s = 1 / (1 + math.Exp(-xv))
				} else {
					e := math.Exp(xv)
					s = e / (1 + e)
				}
				g = s - tv
			case LossSmoothL1:
				d := xv - tv
				switch {
				case math.Abs(d) < beta:
					g = d / beta
				case d > 0:
					g = 1
				case d < 0:
					g = -1
				}
			}
			dx[i] = float32(g * float64(dy[i]))
		}
	})
}
