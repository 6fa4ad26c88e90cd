package tensor

// NormKernels is the norm kernel group of Backend; cpu_backend_norm.go
// implements it for the CPU.
type NormKernels interface {
}
