package tensor

import (
	"fmt"
	"sort"
	"sync/atomic"
)

// node records how a tensor was made: its inputs and the function mapping
// the output gradient to one gradient per input (nil where an input needs
// none).
type node struct {
	seq      uint64
	op       string
	inputs   []*Tensor
	backward func(g *Tensor) []*Tensor
}

var (
	seqCounter  atomic.Uint64
	noGradDepth atomic.Int64
)

// GradEnabled reports whether ops record the tape. It is process-wide:
// run inference under NoGrad from the goroutine that owns the model.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// NoGrad runs f with gradient recording off (inference, optimizer updates,
// metric computation). Calls nest.
func NoGrad(f func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	f()
}

// record attaches a node to out when grad mode is on and any input requires
// gradients, and returns out. Ops call it after computing the forward value.
// backward receives the gradient of out (same shape as out) and returns one
// gradient per input, each of its input's shape, or nil for inputs that do
// not require gradients.
func record(op string, out *Tensor, backward func(g *Tensor) []*Tensor, inputs ...*Tensor) *Tensor {
	if !GradEnabled() {
		return out
	}
	need := false
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			need = true
			break
		}
	}
	if !need {
		return out
	}
	out.requiresGrad = true
	out.node = &node{seq: seqCounter.Add(1), op: op, inputs: inputs, backward: backward}
	return out
}

// Backward computes the gradient of the scalar t with respect to every leaf
// tensor that requires gradients and accumulates it into the leaves' Grad.
// The tape behind t is released afterwards (a second Backward through the
// same graph panics).
func (t *Tensor) Backward() {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor.Backward: output of shape %v is not a scalar; use BackwardWith", t.shape))
	}
	t.BackwardWith(Full(1, t.shape...))
}

// BackwardWith is Backward seeded with an explicit output gradient of t's
// shape.
func (t *Tensor) BackwardWith(grad *Tensor) {
	if !SameShape(grad.shape, t.shape) {
		panic(fmt.Sprintf("tensor.BackwardWith: gradient shape %v, tensor shape %v", grad.shape, t.shape))
	}
	if !t.requiresGrad {
		panic("tensor.Backward: tensor does not require gradients")
	}
	NoGrad(func() { backward(t, grad) })
}

func backward(root, seed *Tensor) {
	if root.node == nil { // a leaf
		accumulate(root, seed)
		return
	}
	// Collect reachable nodes. Creation order is a topological order, so
	// processing by descending sequence number visits every node after all
	// of its consumers.
	var order []*Tensor
	seen := map[*node]bool{}
	stack := []*Tensor{root}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.node == nil || seen[x.node] {
			continue
		}
		if x.node.backward == nil {
			panic(fmt.Sprintf("tensor.Backward: graph through %s was already released by an earlier Backward", x.node.op))
		}
		seen[x.node] = true
		order = append(order, x)
		for _, in := range x.node.inputs {
			if in != nil && in.requiresGrad {
				stack = append(stack, in)
			}
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i].node.seq > order[j].node.seq })

	grads := map[*Tensor]*Tensor{root: seed}
	for _, x := range order {
		g := grads[x]
		delete(grads, x)
		n := x.node
		if g != nil {
			gin := n.backward(g)
			if len(gin) != len(n.inputs) {
				panic(fmt.Sprintf("tensor.Backward: %s returned %d gradients for %d inputs", n.op, len(gin), len(n.inputs)))
			}
			for i, in := range n.inputs {
				if in == nil || !in.requiresGrad || gin[i] == nil {
					continue
				}
				if !SameShape(gin[i].shape, in.shape) {
					panic(fmt.Sprintf("tensor.Backward: %s gave gradient of shape %v for input %d of shape %v", n.op, gin[i].shape, i, in.shape))
				}
				if in.node == nil {
					accumulate(in, gin[i])
				} else if prev, ok := grads[in]; ok && prev != nil {
					// Never add in place here: a backward may hand the
					// same tensor to several inputs.
					sum := prev.Clone()
					grads[in] = addInto(sum, gin[i])
				} else {
					grads[in] = gin[i]
				}
			}
		}
		// Release the tape: inputs and closures (which hold saved
		// intermediates) become collectable.
		n.inputs = nil
		n.backward = nil
	}
}

// accumulate adds g into the leaf's Grad.
func accumulate(leaf, g *Tensor) {
	if leaf.Grad == nil {
		leaf.Grad = g.Clone()
		return
	}
	leaf.Grad = addInto(leaf.Grad, g)
}

// addInto adds src into dst (which the caller owns) and returns dst.
func addInto(dst, src *Tensor) *Tensor {
	b := dst.Backend()
	b.AddInPlace(dst.buf, src.buf)
	return dst
}
