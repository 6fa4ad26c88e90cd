package tensor

// unary applies an elementwise function with its derivative. The backward
// closure keeps only the storage the derivative reads: the output for relu
// (positive exactly where the input is), sigmoid, exp, sqrt and tanh; the
// input for log and abs; nothing for neg.
func unary(name string, op UnaryOp, x *Tensor) *Tensor {
	b := x.Backend()
	out := newOut(b, cloneInts(x.shape))
	b.Unary(op, out.buf, x.buf)
	var saved Storage
	switch op {
	case OpRelu, OpSigmoid, OpExp, OpSqrt, OpTanh:
		saved = out.buf
	case OpLog, OpAbs:
		saved = x.buf
	}
	shape := x.shape
	return record(name, out, func(g *Tensor) []*Tensor {
		dx := newOut(b, cloneInts(shape))
		s := saved
		if s == nil {
			s = g.buf
		}
		b.UnaryBackward(op, dx.buf, s, s, g.buf)
		return []*Tensor{dx}
	}, x)
}

// Relu is max(x, 0).
func Relu(x *Tensor) *Tensor { return unary("Relu", OpRelu, x) }

// Sigmoid is 1/(1+exp(-x)).
func Sigmoid(x *Tensor) *Tensor { return unary("Sigmoid", OpSigmoid, x) }

// Exp is e^x.
func Exp(x *Tensor) *Tensor { return unary("Exp", OpExp, x) }

// Log is the natural logarithm (NaN below 0, -Inf at 0).
func Log(x *Tensor) *Tensor { return unary("Log", OpLog, x) }

// Neg is -x.
func Neg(x *Tensor) *Tensor { return unary("Neg", OpNeg, x) }

// Sqrt is the square root.
func Sqrt(x *Tensor) *Tensor { return unary("Sqrt", OpSqrt, x) }

// Abs is |x|; its gradient at 0 is 0, as in PyTorch.
func Abs(x *Tensor) *Tensor { return unary("Abs", OpAbs, x) }

// Tanh is the hyperbolic tangent.
func Tanh(x *Tensor) *Tensor { return unary("Tanh", OpTanh, x) }
