// Package tensor is gcdet's small tensor engine: float32 tensors in
// contiguous row-major (NCHW) layout and an eager, define-by-run autograd
// tape.
//
// Why our own engine: gorgonia was measured unfit (init panic on Go 1.26,
// wrong gather gradients, static graphs that must be rebuilt for every input
// shape, 4-8x slower convolutions); see ../shared/DESIGN.md.
//
// Shape of the package:
//
//   - Tensor holds a shape and a Storage owned by a Backend. Every op in this
//     package asks the backend of its inputs for the kernel it needs, so a new
//     backend (CUDA) implements the Backend interface and nothing above this
//     package changes. Layers and models only call the ops here.
//   - An op that has inputs requiring gradients records a node on its output:
//     edges to its inputs (leaf tensors, or the nodes that made the
//     intermediate ones) and a closure that maps the output's gradient to
//     the inputs' gradients. Backward walks the nodes in reverse creation
//     order, accumulates into the leaves' Grad, and drops each node once it
//     has run.
//   - Memory: a node never holds its input tensors, and each closure keeps
//     only what its gradient reads (relu its output, add nothing), so an
//     intermediate lives only as long as the caller or such a closure holds
//     it. A gradient the tape alone holds becomes a leaf's Grad without a
//     copy, and gradient buffers the tape proves dead are recycled within
//     the same Backward (cpu_pool.go).
//   - Shape mistakes at the public API panic with a message that names the op
//     and the shapes (they are programmer errors, not user-data errors).
//
// Tensors are always contiguous; views such as Permute materialize a copy.
// This keeps every kernel simple and is cheap next to the convolutions.
package tensor

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Tensor is an n-dimensional float32 array with optional gradient tracking.
type Tensor struct {
	shape []int
	buf   Storage

	requiresGrad bool
	// Grad holds the accumulated gradient after Backward, for tensors that
	// require gradients and are leaves (parameters, inputs). It has the same
	// shape as the tensor.
	Grad *Tensor
	node *node
}

// Storage is a backend's buffer of float32 values.
type Storage interface {
	// Len is the number of float32 elements.
	Len() int
	// Backend is the backend that owns the storage.
	Backend() Backend
}

// Numel is the number of elements of a shape (1 for a scalar shape).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor.%s: negative dimension in shape %v", op, shape))
		}
	}
}

// FromSlice makes a tensor of the given shape on the default backend from a
// copy of data. len(data) must equal the product of shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	checkShape("FromSlice", shape)
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("tensor.FromSlice: %d values for shape %v (needs %d)", len(data), shape, Numel(shape)))
	}
	b := DefaultBackend()
	return &Tensor{shape: cloneInts(shape), buf: b.FromHost(data)}
}

// FromFloat64 is FromSlice for float64 data (converted to float32).
func FromFloat64(data []float64, shape ...int) *Tensor {
	f := make([]float32, len(data))
	for i, v := range data {
		f[i] = float32(v)
	}
	return FromSlice(f, shape...)
}

// Zeros makes a zero tensor of the given shape on the default backend.
func Zeros(shape ...int) *Tensor {
	checkShape("Zeros", shape)
	b := DefaultBackend()
	return &Tensor{shape: cloneInts(shape), buf: b.Alloc(Numel(shape))}
}

// Full makes a tensor filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	if v != 0 {
		t.buf.Backend().Fill(t.buf, v)
	}
	return t
}

// Ones makes a tensor filled with 1.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Scalar makes a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return FromSlice([]float32{v}) }

// newLike allocates an uninitialized-or-zero output on backend b.
func newOn(b Backend, shape []int) *Tensor {
	return &Tensor{shape: shape, buf: b.Alloc(Numel(shape))}
}

// Shape returns the tensor's shape. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dims is the number of dimensions.
func (t *Tensor) Dims() int { return len(t.shape) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// Numel is the number of elements.
func (t *Tensor) Numel() int { return t.buf.Len() }

// Storage returns the backend buffer (for backends and kernels).
func (t *Tensor) Storage() Storage { return t.buf }

// Backend returns the backend that owns the tensor.
func (t *Tensor) Backend() Backend { return t.buf.Backend() }

// Data returns the values in row-major order. On the CPU backend this is the
// tensor's own memory (writes are visible, and bypass autograd); on other
// backends it is a host copy.
func (t *Tensor) Data() []float32 { return t.buf.Backend().Host(t.buf) }

// Float64s returns a float64 copy of the values.
func (t *Tensor) Float64s() []float64 {
	d := t.Data()
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor.Item: tensor of shape %v has %d elements", t.shape, t.Numel()))
	}
	return t.Data()[0]
}

// RequiresGrad reports whether gradients flow to or through t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as requiring gradients and returns it.
func (t *Tensor) SetRequiresGrad(v bool) *Tensor {
	if t.node != nil && !v {
		panic("tensor.SetRequiresGrad(false) on a non-leaf tensor: use Detach")
	}
	t.requiresGrad = v
	return t
}

// IsLeaf reports whether t was not produced by a recorded op.
func (t *Tensor) IsLeaf() bool { return t.node == nil }

// Detach returns a tensor sharing t's storage without gradient history.
func (t *Tensor) Detach() *Tensor { return &Tensor{shape: t.shape, buf: t.buf} }

// Clone returns a copy of t's values without gradient history.
func (t *Tensor) Clone() *Tensor {
	b := t.Backend()
	out := newOut(b, cloneInts(t.shape))
	b.Copy(out.buf, t.buf)
	return out
}

// ZeroGrad drops the accumulated gradient.
func (t *Tensor) ZeroGrad() { t.Grad = nil }

// String prints the shape and up to 8 values.
func (t *Tensor) String() string {
	d := t.Data()
	var sb strings.Builder
	fmt.Fprintf(&sb, "Tensor%v[", t.shape)
	for i, v := range d {
		if i == 8 {
			sb.WriteString(" ...")
			break
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%g", v)
	}
	sb.WriteByte(']')
	return sb.String()
}

// axis normalizes a possibly negative axis and panics with op's name when out
// of range.
func (t *Tensor) axis(op string, i int) int {
	n := len(t.shape)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		panic(fmt.Sprintf("tensor.%s: axis %d out of range for shape %v", op, i, t.shape))
	}
	return i
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool { return slices.Equal(a, b) }

// AllFinite reports whether every value is finite.
func (t *Tensor) AllFinite() bool {
	for _, v := range t.Data() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

func cloneInts(s []int) []int { return append([]int(nil), s...) }
