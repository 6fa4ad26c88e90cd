package cpu

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major
// matrices: op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are
// row strides. transA/transB select the transpose of the stored matrix.
// With beta == 0, C is overwritten (NaNs in it do not propagate).
//
// It runs on OpenBLAS when loaded (see blas.go) and on the Go kernel
// otherwise. Slice lengths and strides are checked up front, so a bad call
// panics here rather than corrupting memory inside the library.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	loadBLAS()
	if lib := activeBLAS(); lib != nil && m*n*k >= blasMinWork {
		syncBLASThreads(lib)
		ta, tb := int32(cblasNoTrans), int32(cblasNoTrans)
		if transA {
			ta = cblasTrans
		}
		if transB {
			tb = cblasTrans
		}
		lib.sgemm(cblasRowMajor, ta, tb, int32(m), int32(n), int32(k), alpha,
			&a[0], int32(lda), &b[0], int32(ldb), beta, &c[0], int32(ldc))
		return
	}
	sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// CBLAS enum values.
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// blasMinWork is the m*n*k below which the Go kernel is used even when
// OpenBLAS is loaded: for tiny products the foreign call and OpenBLAS's
// thread hand-off cost more than the arithmetic.
var blasMinWork = 4096

// blasThreads is the thread count last given to OpenBLAS (0: none yet).
var blasThreads atomic.Int64

// syncBLASThreads passes the current Threads() bound to OpenBLAS when it
// changed since the last GEMM, so SetThreads governs OpenBLAS too.
func syncBLASThreads(lib *blasLib) {
	t := int64(Threads())
	if blasThreads.Load() == t || lib.setThreads == nil {
		return
	}
	if blasThreads.Swap(t) != t {
		lib.setThreads(int32(t))
	}
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cpu.Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if m > math.MaxInt32 || n > math.MaxInt32 || k > math.MaxInt32 || lda > math.MaxInt32 || ldb > math.MaxInt32 || ldc > math.MaxInt32 {
		panic(fmt.Sprintf("cpu.Sgemm: size over 2^31 (m=%d n=%d k=%d lda=%d ldb=%d ldc=%d)", m, n, k, lda, ldb, ldc))
	}
	check := func(name string, x []float32, ld, rows, cols int) {
		if rows == 0 || cols == 0 {
			if ld < 1 {
				panic(fmt.Sprintf("cpu.Sgemm: %s stride %d < 1", name, ld))
			}
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("cpu.Sgemm: %s stride %d < %d columns (m=%d n=%d k=%d transA=%v transB=%v)", name, ld, cols, m, n, k, transA, transB))
		}
		if need := (rows-1)*ld + cols; len(x) < need {
			panic(fmt.Sprintf("cpu.Sgemm: %s has %d elements, %dx%d with stride %d needs %d (m=%d n=%d k=%d transA=%v transB=%v)", name, len(x), rows, cols, ld, need, m, n, k, transA, transB))
		}
	}
	if transA {
		check("A", a, lda, k, m)
	} else {
		check("A", a, lda, m, k)
	}
	if transB {
		check("B", b, ldb, n, k)
	} else {
		check("B", b, ldb, k, n)
	}
	check("C", c, ldc, m, n)
}

// scaleC sets C = beta * C (beta == 0 clears it).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
