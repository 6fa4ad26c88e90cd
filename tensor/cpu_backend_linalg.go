package tensor

// CPU implementations of LinalgKernels (see backend_linalg.go).
