package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Kernel-level checks against naive loops, on sizes that cross the parallel
// grain so chunks start in the middle of rows, with an odd thread count.

func ewThreads(t *testing.T, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func ewRand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

func ewNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ewDot returns p·strides for the multi-index of flat position p in shape.
func ewDot(p int, shape, strides []int) int {
	o := 0
	for d := len(shape) - 1; d >= 0; d-- {
		o += (p % shape[d]) * strides[d]
		p /= shape[d]
	}
	return o
}

func TestStridedCopyAndBinaryNaive(t *testing.T) {
	ewThreads(t, 3)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, shape := range [][]int{{7, 131, 97}, {3, 1, 40001}, {2, 5, 9, 701}, {100003}} {
		n := ewNumel(shape)
		// src: a permuted layout of a buffer of the same size.
		perm := rng.Perm(len(shape))
		pshape := make([]int, len(shape))
		for i, p := range perm {
			pshape[p] = shape[i]
		}
		pst := RowMajorStrides(pshape)
		srcStrides := make([]int, len(shape))
		for i, p := range perm {
			srcStrides[i] = pst[p]
		}
		src := ewRand(rng, n)
		dst := make([]float32, n+5)
		StridedCopy(dst, 5, RowMajorStrides(shape), src, 0, srcStrides, shape)
		for p := 0; p < n; p++ {
			if dst[5+p] != src[ewDot(p, shape, srcStrides)] {
				t.Fatalf("StridedCopy %v perm %v: position %d wrong", shape, perm, p)
			}
		}
		// Binary with b broadcast on every other axis.
		bStrides := RowMajorStrides(shape)
		for d := 0; d < len(shape); d += 2 {
			bStrides[d] = 0
		}
		a, b := ewRand(rng, n), ewRand(rng, n)
		out := make([]float32, n)
		Binary(BinSub, out, a, b, shape, srcStrides, bStrides)
		for p := 0; p < n; p++ {
			if want := a[ewDot(p, shape, srcStrides)] - b[ewDot(p, shape, bStrides)]; out[p] != want {
				t.Fatalf("Binary %v: position %d = %g, want %g", shape, p, out[p], want)
			}
		}
	}
}

func TestReduceSumNaive(t *testing.T) {
	ewThreads(t, 3)
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range [][3]int{{1, 100003, 1}, {3, 50001, 1}, {700, 97, 1}, {1, 301, 333}, {5, 7, 20011}, {4, 0, 3}} {
		src := ewRand(rng, c[0]*c[1]*c[2])
		dst := make([]float32, c[0]*c[2])
		for i := range dst {
			dst[i] = 42 // must be overwritten
		}
		ReduceSum(dst, src, c[0], c[1], c[2])
		for o := 0; o < c[0]; o++ {
			for i := 0; i < c[2]; i++ {
				s := 0.0
				for j := 0; j < c[1]; j++ {
					s += float64(src[(o*c[1]+j)*c[2]+i])
				}
				if math.Abs(float64(dst[o*c[2]+i])-s) > 1e-4*(1+math.Abs(s)) {
					t.Fatalf("ReduceSum %v [%d,%d] = %g, want %g", c, o, i, dst[o*c[2]+i], s)
				}
			}
		}
	}
}

func TestGatherScatterNaive(t *testing.T) {
	ewThreads(t, 3)
	rng := rand.New(rand.NewPCG(3, 3))
	// Outer size 1 with an index varying over a long inner axis: the work
	// splits over inner positions on the general (non-copy) path.
	xShape := []int{1, 6, 20011}
	shape := []int{1, 4, 20011}
	x := ewRand(rng, ewNumel(xShape))
	idx := make([]int32, ewNumel(shape))
	for i := range idx {
		idx[i] = int32(rng.IntN(6))
	}
	xs, ss := RowMajorStrides(xShape), RowMajorStrides(shape)
	out := make([]float32, ewNumel(shape))
	Gather(out, ss, x, xs, shape, 1, idx, ss)
	acc := make([]float32, len(x))
	ScatterAdd(acc, xs, out, ss, shape, 1, idx, ss)
	want := make([]float32, len(x))
	for p := range out {
		j, i := (p/20011)%4, p%20011
		k := int(idx[p])
		if out[p] != x[k*20011+i] {
			t.Fatalf("Gather position %d (j=%d) wrong", p, j)
		}
		want[k*20011+i] += out[p]
	}
	for i := range want {
		if acc[i] != want[i] {
			t.Fatalf("ScatterAdd position %d = %g, want %g", i, acc[i], want[i])
		}
	}
}
