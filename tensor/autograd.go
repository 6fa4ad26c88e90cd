package tensor

import (
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
)

// node records how a tensor was made: edges to its inputs and the function
// mapping the output gradient to one gradient per input (nil where an input
// needs none).
//
// Memory: a node refers to the nodes of its intermediate inputs, not to the
// input tensors, so an intermediate's storage lives only as long as the
// caller or a backward closure (which saves what its gradient needs) holds
// it. Backward drops each node's edges and closure as soon as it has run.
type node struct {
	seq      uint64
	op       string
	inputs   []edge
	backward func(g *Tensor) []*Tensor
}

// edge is one input of a node: a leaf tensor (whose Grad receives the
// gradient) or the node that made an intermediate input, with the input's
// shape. The zero edge stands for a nil input.
type edge struct {
	leaf  *Tensor
	from  *node
	shape []int
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
//
// Contract of backward, which lets the tape adopt gradients without copying
// them: it must not write into g, and each gradient it returns is either g
// itself, a view of g (Reshape), or a tensor it allocated; never a tensor
// saved from the forward pass or one a caller holds. To keep memory low it
// should capture only what the gradient needs (shapes rather than input
// tensors; see wantsGrad).
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
	edges := make([]edge, len(inputs))
	for i, in := range inputs {
		switch {
		case in == nil:
		case in.node != nil:
			edges[i] = edge{from: in.node, shape: in.shape}
		default:
			edges[i] = edge{leaf: in, shape: in.shape}
		}
	}
	out.requiresGrad = true
	out.node = &node{seq: seqCounter.Add(1), op: op, inputs: edges, backward: backward}
	return out
}

// wantsGrad returns a function that tells, when backward runs, whether t
// needs a gradient. It keeps t itself only when t is a leaf (whose flag may
// change until then); an intermediate always needs one, and its storage is
// not kept alive by the returned function.
func wantsGrad(t *Tensor) func() bool {
	if t == nil {
		return func() bool { return false }
	}
	if t.node != nil {
		return func() bool { return true }
	}
	return t.RequiresGrad
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
// shape. grad is only read: it never becomes (part of) a leaf's Grad.
func (t *Tensor) BackwardWith(grad *Tensor) {
	if !SameShape(grad.shape, t.shape) {
		panic(fmt.Sprintf("tensor.BackwardWith: gradient shape %v, tensor shape %v", grad.shape, t.shape))
	}
	if !t.requiresGrad {
		panic("tensor.Backward: tensor does not require gradients")
	}
	beginRecycling()
	defer endRecycling()
	NoGrad(func() { backward(t, grad) })
}

// pending is a gradient waiting for its node. owned means the tape holds
// the only reference to its storage: it may be added into in place or
// become a leaf's Grad without a copy.
type pending struct {
	t     *Tensor
	owned bool
}

func backward(root, seed *Tensor) {
	if root.node == nil { // a leaf
		accumulate(root, seed, false)
		return
	}
	// Collect reachable nodes. Creation order is a topological order, so
	// processing by descending sequence number visits every node after all
	// of its consumers.
	var order []*node
	seen := map[*node]bool{}
	stack := []*node{root.node}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		if n.backward == nil {
			panic(fmt.Sprintf("tensor.Backward: graph through %s was already released by an earlier Backward", n.op))
		}
		seen[n] = true
		order = append(order, n)
		for _, in := range n.inputs {
			if in.from != nil {
				stack = append(stack, in.from)
			}
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i].seq > order[j].seq })

	grads := map[*node]pending{root.node: {t: seed}}
	var keys []*float32
	for k, n := range order {
		order[k] = nil
		p, ok := grads[n]
		delete(grads, n)
		if ok && p.t != nil {
			gin := n.backward(p.t)
			if len(gin) != len(n.inputs) {
				panic(fmt.Sprintf("tensor.Backward: %s returned %d gradients for %d inputs", n.op, len(gin), len(n.inputs)))
			}
			// Ownership: a returned gradient is the tape's alone when it
			// is new (not g's storage, or g was the tape's) and no other
			// input receives the same storage.
			keys = keys[:0]
			for i, in := range n.inputs {
				var key *float32
				if gin[i] != nil && (in.from != nil || (in.leaf != nil && in.leaf.requiresGrad)) {
					if !SameShape(gin[i].shape, in.shape) {
						panic(fmt.Sprintf("tensor.Backward: %s gave gradient of shape %v for input %d of shape %v", n.op, gin[i].shape, i, in.shape))
					}
					key = storageKey(gin[i].buf)
				} else {
					gin[i] = nil
				}
				keys = append(keys, key)
			}
			gkey := storageKey(p.t.buf)
			for i, in := range n.inputs {
				if gin[i] == nil {
					continue
				}
				owned := keys[i] != nil && (keys[i] != gkey || p.owned)
				for j := range keys {
					if j != i && keys[j] == keys[i] {
						owned = false
					}
				}
				if in.leaf != nil {
					if accumulate(in.leaf, gin[i], owned) && owned {
						releaseDead(gin[i])
					}
					continue
				}
				prev, ok := grads[in.from]
				switch {
				case !ok:
					grads[in.from] = pending{gin[i], owned}
				case prev.owned && storageKey(prev.t.buf) != keys[i]:
					addInto(prev.t, gin[i])
					if owned {
						releaseDead(gin[i])
					}
				case owned:
					grads[in.from] = pending{addInto(gin[i], prev.t), true}
				default:
					// Neither is the tape's alone: never add in place.
					grads[in.from] = pending{addInto(prev.t.Clone(), gin[i]), true}
				}
			}
			// g is dead once consumed if the tape alone held it and no
			// returned gradient is (a view of) it: recycle its storage.
			if p.owned && gkey != nil && !slices.Contains(keys, gkey) {
				releaseDead(p.t)
			}
		}
		// Release the tape: edges and closures (which hold saved
		// intermediates) become collectable.
		n.inputs = nil
		n.backward = nil
	}
}

// accumulate adds g into the leaf's Grad. When the leaf has none yet it
// takes g itself if owned (the tape's alone), else a copy. It reports
// whether g was only read (added into an existing Grad).
func accumulate(leaf, g *Tensor, owned bool) (added bool) {
	if leaf.Grad == nil {
		if owned {
			leaf.Grad = &Tensor{shape: cloneInts(leaf.shape), buf: g.buf}
		} else {
			leaf.Grad = g.Clone()
		}
		return false
	}
	leaf.Grad = addInto(leaf.Grad, g)
	return true
}

// addInto adds src into dst (which the caller owns) and returns dst.
func addInto(dst, src *Tensor) *Tensor {
	b := dst.Backend()
	b.AddInPlace(dst.buf, src.buf)
	return dst
}
