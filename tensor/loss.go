package tensor

import "fmt"

// Losses of the detector heads: cross entropy with an ignore index (box
// classification), binary cross entropy with logits (objectness, masks) and
// smooth L1 (box regression). Cross entropy is composed of LogSoftmax and
// Gather; the other two run the backend's fused PointwiseLoss kernel, which
// is stable for large logits, and reduce with Sum or Mean.

// Reduction says how a loss combines its elementwise values.
type Reduction int

// The reductions. The zero value is ReduceMean, PyTorch's default.
const (
	ReduceMean Reduction = iota // average over elements (NaN for no elements, as in PyTorch)
	ReduceSum                   // sum over elements
	ReduceNone                  // the elementwise losses, shaped like the input
)

func (r Reduction) String() string {
	switch r {
	case ReduceMean:
		return "mean"
	case ReduceSum:
		return "sum"
	case ReduceNone:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// CrossEntropy is the mean over rows i with targets[i] != ignoreIndex of
// -log softmax(logits[i])[targets[i]], for logits [N, C]. When every row is
// ignored (or N = 0) the loss is 0 with a zero gradient (PyTorch gives NaN).
// A target outside [0, C) other than ignoreIndex panics.
func CrossEntropy(logits *Tensor, targets []int32, ignoreIndex int32) *Tensor {
	if logits.Dims() != 2 {
		panic(fmt.Sprintf("tensor.CrossEntropy: logits of shape %v, want [N, C]", logits.shape))
	}
	n, c := logits.shape[0], logits.shape[1]
	if len(targets) != n {
		panic(fmt.Sprintf("tensor.CrossEntropy: %d targets for logits of shape %v", len(targets), logits.shape))
	}
	safe := make([]int32, n)
	w := make([]float32, n)
	count := 0
	for i, t := range targets {
		if t == ignoreIndex {
			continue
		}
		if t < 0 || int(t) >= c {
			panic(fmt.Sprintf("tensor.CrossEntropy: target %d (row %d) out of range for %d classes (ignore index %d)", t, i, c, ignoreIndex))
		}
		safe[i] = t
		w[i] = 1
		count++
	}
	if count > 0 && c > 0 {
		for i := range w {
			w[i] /= -float32(count)
		}
	} else {
		// Nothing to average: a zero loss whose gradient is zero.
		for i := range w {
			w[i] = 0
		}
	}
	b := logits.Backend()
	if c == 0 { // every row ignored and nothing to gather from
		return record("CrossEntropy", newOn(b, []int{}), func(*Tensor) []*Tensor {
			return []*Tensor{newOn(b, cloneInts(logits.shape))}
		}, logits)
	}
	weights := &Tensor{shape: []int{n, 1}, buf: b.FromHost(w)}
	picked := Gather(LogSoftmax(logits, 1), 1, safe, []int{n, 1})
	return SumAll(Mul(picked, weights))
}

// BCEWithLogits is the mean over elements of the binary cross entropy of
// sigmoid(logits) against targets (same shape), computed stably as
// max(x,0) - x*t + log1p(exp(-|x|)).
func BCEWithLogits(logits, targets *Tensor) *Tensor {
	return MeanAll(pointwiseLoss("BCEWithLogits", LossBCEWithLogits, logits, targets, 0))
}

// SmoothL1 is the smooth L1 (Huber-like) loss of pred against target (same
// shape): with d = pred - target, 0.5*d²/beta where |d| < beta, else
// |d| - 0.5*beta. beta = 0 is the L1 loss |d|.
func SmoothL1(pred, target *Tensor, beta float32, reduction Reduction) *Tensor {
	if beta < 0 {
		panic(fmt.Sprintf("tensor.SmoothL1: negative beta %g", beta))
	}
	l := pointwiseLoss("SmoothL1", LossSmoothL1, pred, target, beta)
	switch reduction {
	case ReduceMean:
		return MeanAll(l)
	case ReduceSum:
		return SumAll(l)
	case ReduceNone:
		return l
	}
	panic(fmt.Sprintf("tensor.SmoothL1: unknown reduction %v", reduction))
}

// pointwiseLoss records an elementwise loss of x against t. The target's
// gradient is derived from x's: -dx for smooth L1, -x*g for BCE.
func pointwiseLoss(name string, op LossOp, x, t *Tensor, param float32) *Tensor {
	if !SameShape(x.shape, t.shape) {
		panic(fmt.Sprintf("tensor.%s: input shape %v and target shape %v differ", name, x.shape, t.shape))
	}
	b := sameBackend(name, x, t)
	out := newOn(b, cloneInts(x.shape))
	b.PointwiseLoss(op, out.buf, x.buf, t.buf, param)
	return record(name, out, func(g *Tensor) []*Tensor {
		var dx, dt *Tensor
		if x.requiresGrad || (t.requiresGrad && op == LossSmoothL1) {
			dx = newOn(b, cloneInts(x.shape))
			b.PointwiseLossBackward(op, dx.buf, x.buf, t.buf, g.buf, param)
		}
		if t.requiresGrad {
			switch op {
			case LossSmoothL1:
				dt = Neg(dx)
			case LossBCEWithLogits:
				dt = Neg(Mul(x, g))
			}
		}
		if !x.requiresGrad {
			dx = nil
		}
		return []*Tensor{dx, dt}
	}, x, t)
}
