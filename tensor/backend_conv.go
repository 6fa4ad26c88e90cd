package tensor

// ConvKernels is the conv kernel group of Backend; cpu_backend_conv.go
// implements it for the CPU.
type ConvKernels interface {
}
