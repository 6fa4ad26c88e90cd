package tensor

// CPU implementations of ConvKernels (see backend_conv.go).
