package tensor

import "sync"

// Backend owns storage and runs kernels. The CPU backend (cpu_backend.go,
// kernels in package tensor/cpu) is the default; a CUDA backend implements
// the same interface. Ops in this package never touch host memory of their
// inputs directly: they call the backend of their first input, so layers and
// models run unchanged on any backend.
//
// The interface grows with the op set: each kernel an op needs is a method
// here, documented with the shapes it expects. Kernels receive contiguous
// row-major storages and plain shape parameters.
type Backend interface {
	// Name is a short identifier ("cpu", "cuda:0").
	Name() string

	// Alloc returns n zeroed elements.
	Alloc(n int) Storage
	// FromHost copies host values into new storage.
	FromHost(data []float32) Storage
	// Host returns the values on the host (the storage itself on CPU).
	Host(s Storage) []float32
	// Fill sets every element to v.
	Fill(s Storage, v float32)
	// Copy copies src into dst (equal lengths).
	Copy(dst, src Storage)
	// AddInPlace does dst += src (equal lengths).
	AddInPlace(dst, src Storage)

	// Unary applies an elementwise function: dst[i] = f(src[i]).
	Unary(op UnaryOp, dst, src Storage)
	// UnaryBackward computes dx for an elementwise function given the
	// forward input x, the forward output y and the output gradient dy.
	// Each op reads only one of x and y (relu, sigmoid, exp, sqrt, tanh: y;
	// log, abs: x; neg: neither) and the caller may pass that storage in
	// both places, or dy for neg. Relu's y is read as its mask (y > 0
	// exactly where x > 0).
	UnaryBackward(op UnaryOp, dx, x, y, dy Storage)

	// Kernel groups, one file each (backend_<group>.go), so the op set can
	// grow group by group.
	ElementwiseKernels // broadcasting arithmetic, reductions, shape and index ops, losses
	LinalgKernels      // matrix multiply
	ConvKernels        // conv2d, conv_transpose2d, pooling, upsampling
	NormKernels        // batch, frozen batch and group normalization
	RoIKernels         // RoIAlign forward and backward
}

// UnaryOp names an elementwise function of one argument.
type UnaryOp int

// The elementwise functions of one argument.
const (
	OpRelu UnaryOp = iota
	OpSigmoid
	OpExp
	OpLog
	OpNeg
	OpSqrt
	OpAbs
	OpTanh
)

var (
	defaultMu      sync.RWMutex
	defaultBackend Backend = cpuBackend{}
)

// DefaultBackend is the backend that constructors allocate on.
func DefaultBackend() Backend {
	defaultMu.RLock()
	defer defaultMu.RUnlock()
	return defaultBackend
}

// SetDefaultBackend changes the backend new tensors are made on.
func SetDefaultBackend(b Backend) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	defaultBackend = b
}

// CPU returns the CPU backend.
func CPU() Backend { return cpuBackend{} }
