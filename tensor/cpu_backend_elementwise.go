package tensor

// CPU implementations of ElementwiseKernels (see backend_elementwise.go).
