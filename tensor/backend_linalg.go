package tensor

// LinalgKernels is the linalg kernel group of Backend; cpu_backend_linalg.go
// implements it for the CPU.
type LinalgKernels interface {
}
