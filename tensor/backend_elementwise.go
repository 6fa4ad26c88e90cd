package tensor

// ElementwiseKernels is the elementwise kernel group of Backend; cpu_backend_elementwise.go
// implements it for the CPU.
type ElementwiseKernels interface {
}
