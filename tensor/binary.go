package tensor

import "fmt"

// Broadcasting arithmetic (NumPy rules): shapes are aligned at their last
// axis; each pair of sizes must be equal or one of them 1, and a missing
// leading axis counts as 1. The backward pass sums the output gradient over
// the axes an operand was broadcast along.

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor { return binary("Add", OpAdd, a, b) }

// Sub returns a - b with broadcasting.
func Sub(a, b *Tensor) *Tensor { return binary("Sub", OpSub, a, b) }

// Mul returns a * b (elementwise) with broadcasting.
func Mul(a, b *Tensor) *Tensor { return binary("Mul", OpMul, a, b) }

// Div returns a / b (elementwise) with broadcasting.
func Div(a, b *Tensor) *Tensor { return binary("Div", OpDiv, a, b) }

// AddScalar returns x + s.
func AddScalar(x *Tensor, s float32) *Tensor {
	out := affine(x, 1, s)
	return record("AddScalar", out, func(g *Tensor) []*Tensor { return []*Tensor{g} }, x)
}

// MulScalar returns x * s.
func MulScalar(x *Tensor, s float32) *Tensor {
	out := affine(x, s, 0)
	return record("MulScalar", out, func(g *Tensor) []*Tensor { return []*Tensor{MulScalar(g, s)} }, x)
}

// affine computes x*scale + shift without recording.
func affine(x *Tensor, scale, shift float32) *Tensor {
	b := x.Backend()
	out := newOut(b, cloneInts(x.shape))
	b.Affine(out.buf, x.buf, scale, shift)
	return out
}

func binary(name string, op BinaryOp, a, b *Tensor) *Tensor {
	be := sameBackend(name, a, b)
	shape := broadcastShapes(name, a.shape, b.shape)
	out := newOut(be, shape)
	be.Binary(op, out.buf, a.buf, b.buf, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape))
	// The closures capture only what each gradient reads: Add and Sub no
	// operand at all, so intermediates summed here are not kept alive.
	as, bs := a.shape, b.shape
	wantA, wantB := wantsGrad(a), wantsGrad(b)
	var backward func(g *Tensor) []*Tensor
	switch op {
	case OpAdd, OpSub:
		backward = func(g *Tensor) []*Tensor {
			var ga, gb *Tensor
			if wantA() {
				ga = sumToShape(g, as)
			}
			if wantB() {
				gb = sumToShape(g, bs)
				if op == OpSub {
					gb = Neg(gb)
				}
			}
			return []*Tensor{ga, gb}
		}
	case OpMul:
		backward = func(g *Tensor) []*Tensor {
			var ga, gb *Tensor
			if wantA() {
				ga = sumToShape(Mul(g, b), as)
			}
			if wantB() {
				gb = sumToShape(Mul(g, a), bs)
			}
			return []*Tensor{ga, gb}
		}
	case OpDiv:
		backward = func(g *Tensor) []*Tensor {
			var ga, gb *Tensor
			if wantA() {
				ga = sumToShape(Div(g, b), as)
			}
			if wantB() {
				// d(a/b)/db = -(a/b)/b = -out/b
				gb = Neg(sumToShape(Div(Mul(g, out), b), bs))
			}
			return []*Tensor{ga, gb}
		}
	}
	return record(name, out, backward, a, b)
}

// sameBackend returns the backend shared by the non-nil tensors and panics,
// naming op, when they differ.
func sameBackend(op string, ts ...*Tensor) Backend {
	var be Backend
	for _, t := range ts {
		if t == nil {
			continue
		}
		if be == nil {
			be = t.Backend()
		} else if n := t.Backend().Name(); n != be.Name() {
			panic(fmt.Sprintf("tensor.%s: inputs on different backends (%s and %s)", op, be.Name(), n))
		}
	}
	return be
}

// broadcastShapes returns the NumPy broadcast of two shapes, panicking with
// op's name when they are incompatible.
func broadcastShapes(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("tensor.%s: shapes %v and %v do not broadcast (axis %d: %d vs %d)", op, a, b, i, da, db))
		}
	}
	return out
}

// broadcastStrides returns the strides that read a contiguous array of
// shape `from` as if it had the broadcast shape `to` (0 on broadcast axes).
func broadcastStrides(from, to []int) []int {
	src := contiguousStrides(from)
	st := make([]int, len(to))
	off := len(to) - len(from)
	for i := off; i < len(to); i++ {
		if from[i-off] != 1 || to[i] == 1 {
			st[i] = src[i-off]
		}
	}
	return st
}

// expandTo copies x broadcast to shape (which x's shape must broadcast to).
func expandTo(x *Tensor, shape []int) *Tensor {
	b := x.Backend()
	out := newOut(b, cloneInts(shape))
	b.StridedCopy(out.buf, 0, contiguousStrides(shape), x.buf, 0, broadcastStrides(x.shape, shape), shape)
	return out
}

// sumToShape sums g over the axes along which shape was broadcast to g's
// shape, returning a tensor of shape. It is the adjoint of broadcasting.
func sumToShape(g *Tensor, shape []int) *Tensor {
	if SameShape(g.shape, shape) {
		return g
	}
	lead := len(g.shape) - len(shape)
	var axes []int
	for d := range g.shape {
		if d < lead || (shape[d-lead] == 1 && g.shape[d] != 1) {
			axes = append(axes, d)
		}
	}
	if len(axes) == 0 {
		return Reshape(g, shape...)
	}
	return Reshape(Sum(g, axes, true), shape...)
}
