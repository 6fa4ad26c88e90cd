package tensor

// CPU implementations of NormKernels (see backend_norm.go).
