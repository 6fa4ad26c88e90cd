package tensor

import "github.com/gcdet/gcdet/tensor/cpu"

// CPU implementation of LinalgKernels (see backend_linalg.go).

func (cpuBackend) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a Storage, aOff, lda int, b Storage, bOff, ldb int,
	beta float32, c Storage, cOff, ldc int) {
	cpu.Sgemm(transA, transB, m, n, k, alpha, f(a)[aOff:], lda, f(b)[bOff:], ldb, beta, f(c)[cOff:], ldc)
}
