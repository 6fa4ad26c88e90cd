package tensor

// unary applies an elementwise function with its derivative.
func unary(name string, op UnaryOp, x *Tensor) *Tensor {
	b := x.Backend()
	out := newOn(b, cloneInts(x.shape))
	b.Unary(op, out.buf, x.buf)
	return record(name, out, func(g *Tensor) []*Tensor {
		dx := newOn(b, cloneInts(x.shape))
		b.UnaryBackward(op, dx.buf, x.buf, out.buf, g.buf)
		return []*Tensor{dx}
	}, x)
}

// Relu is max(x, 0).
func Relu(x *Tensor) *Tensor { return unary("Relu", OpRelu, x) }

// Sigmoid is 1/(1+exp(-x)).
func Sigmoid(x *Tensor) *Tensor { return unary("Sigmoid", OpSigmoid, x) }
