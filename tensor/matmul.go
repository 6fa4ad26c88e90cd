package tensor

import "fmt"

// Matrix products on the backend's Gemm (backend_linalg.go).

// Matmul multiplies [M,K] x [K,N] -> [M,N], or batched [B,M,K] x [B,K,N] ->
// [B,M,N].
func Matmul(a, b *Tensor) *Tensor {
	bad := func() {
		panic(fmt.Sprintf("tensor.Matmul: shapes %v and %v (want [M,K]x[K,N] or [B,M,K]x[B,K,N])", a.shape, b.shape))
	}
	if a.Dims() != b.Dims() || (a.Dims() != 2 && a.Dims() != 3) {
		bad()
	}
	batch, as, bs := 1, a.shape, b.shape
	if a.Dims() == 3 {
		if as[0] != bs[0] {
			bad()
		}
		batch, as, bs = as[0], as[1:], bs[1:]
	}
	m, k, n := as[0], as[1], bs[1]
	if bs[0] != k {
		bad()
	}
	be := sameBackend("Matmul", a, b)
	shape := []int{m, n}
	if a.Dims() == 3 {
		shape = []int{batch, m, n}
	}
	out := newOn(be, shape)
	for i := 0; i < batch; i++ {
		gemm(be, false, false, m, n, k, a.buf, i*m*k, k, b.buf, i*k*n, n, 0, out.buf, i*m*n, n)
	}
	return record("Matmul", out, func(g *Tensor) []*Tensor {
		var da, db *Tensor
		if a.requiresGrad { // dA = G B^T
			da = newOn(be, cloneInts(a.shape))
			for i := 0; i < batch; i++ {
				gemm(be, false, true, m, k, n, g.buf, i*m*n, n, b.buf, i*k*n, n, 0, da.buf, i*m*k, k)
			}
		}
		if b.requiresGrad { // dB = A^T G
			db = newOn(be, cloneInts(b.shape))
			for i := 0; i < batch; i++ {
				gemm(be, true, false, k, n, m, a.buf, i*m*k, k, g.buf, i*m*n, n, 0, db.buf, i*k*n, n)
			}
		}
		return []*Tensor{da, db}
	}, a, b)
}

// Linear is x w^T + b for x [N,in], w [out,in] and b [out] (or nil),
// giving [N,out], as torch.nn.functional.linear.
func Linear(x, w, b *Tensor) *Tensor {
	if x.Dims() != 2 || w.Dims() != 2 || x.shape[1] != w.shape[1] || (b != nil && (b.Dims() != 1 || b.shape[0] != w.shape[0])) {
		bs := "nil"
		if b != nil {
			bs = fmt.Sprint(b.shape)
		}
		panic(fmt.Sprintf("tensor.Linear: x %v, w %v, b %s (want x [N,in], w [out,in], b [out] or nil)", x.shape, w.shape, bs))
	}
	n, in, o := x.shape[0], x.shape[1], w.shape[0]
	be := sameBackend("Linear", x, w, b)
	out := newOn(be, []int{n, o})
	beta := float32(0)
	if b != nil { // start from the bias broadcast over rows, then add x w^T
		be.StridedCopy(out.buf, 0, []int{o, 1}, b.buf, 0, []int{0, 1}, []int{n, o})
		beta = 1
	}
	gemm(be, false, true, n, o, in, x.buf, 0, in, w.buf, 0, in, beta, out.buf, 0, o)
	return record("Linear", out, func(g *Tensor) []*Tensor {
		var dx, dw, db *Tensor
		if x.requiresGrad { // dX = G W
			dx = newOn(be, []int{n, in})
			gemm(be, false, false, n, in, o, g.buf, 0, o, w.buf, 0, in, 0, dx.buf, 0, in)
		}
		if w.requiresGrad { // dW = G^T X
			dw = newOn(be, []int{o, in})
			gemm(be, true, false, o, in, n, g.buf, 0, o, x.buf, 0, in, 0, dw.buf, 0, in)
		}
		if b != nil && b.requiresGrad {
			db = newOn(be, []int{o})
			be.ReduceSum(db.buf, g.buf, 1, n, o)
		}
		return []*Tensor{dx, dw, db}
	}, x, w, b)
}

// gemm calls the backend's Gemm, skipping empty products (C was zeroed or
// holds beta*C with beta 1 already).
func gemm(be Backend, transA, transB bool, m, n, k int, a Storage, aOff, lda int, b Storage, bOff, ldb int, beta float32, c Storage, cOff, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	be.Gemm(transA, transB, m, n, k, 1, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc)
}
