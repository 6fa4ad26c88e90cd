package tensor

// Softmax and log-softmax along one axis, through the backend's fused
// (max-shifted, so numerically stable) Softmax kernel.

// LogSoftmax is x - logsumexp(x) along axis.
func LogSoftmax(x *Tensor, axis int) *Tensor { return softmax("LogSoftmax", x, axis, true) }

// Softmax is exp(x) / sum(exp(x)) along axis.
func Softmax(x *Tensor, axis int) *Tensor { return softmax("Softmax", x, axis, false) }

func softmax(name string, x *Tensor, axis int, log bool) *Tensor {
	ax := x.axis(name, axis)
	outer, n, inner := axisView(x.shape, ax)
	b := x.Backend()
	out := newOn(b, cloneInts(x.shape))
	b.Softmax(out.buf, x.buf, outer, n, inner, log)
	return record(name, out, func(g *Tensor) []*Tensor {
		dx := newOn(b, cloneInts(out.shape))
		b.SoftmaxBackward(dx.buf, out.buf, g.buf, outer, n, inner, log)
		return []*Tensor{dx}
	}, x)
}
