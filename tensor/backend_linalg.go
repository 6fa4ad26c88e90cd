package tensor

// LinalgKernels is the matrix-multiply kernel group of Backend;
// cpu_backend_linalg.go implements it for the CPU.
type LinalgKernels interface {
	// Gemm computes C = alpha * op(A) * op(B) + beta * C on row-major
	// matrices stored in a, b, c starting at element offsets aOff, bOff,
	// cOff with row strides lda, ldb, ldc; op(A) is m x k, op(B) is k x n.
	Gemm(transA, transB bool, m, n, k int, alpha float32,
		a Storage, aOff, lda int, b Storage, bOff, ldb int,
		beta float32, c Storage, cOff, ldc int)
}
