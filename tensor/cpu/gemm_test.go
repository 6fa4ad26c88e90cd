package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the float64 reference for Sgemm.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := 0.0
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float64(alpha)*s + old
		}
	}
	return out
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

// gemmPaths runs f once per GEMM path available: the Go kernel always, and
// OpenBLAS (with no small-size cut-over) when it loads.
func gemmPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	prev := UseBLAS(false)
	defer UseBLAS(prev)
	t.Run("go", f)
	if setAsmKernel(false) {
		t.Run("go-portable", f)
		setAsmKernel(true)
	}
	if !HaveBLAS() {
		t.Logf("OpenBLAS path not tested: %s", BLASInfo())
		return
	}
	UseBLAS(true)
	old := blasMinWork
	blasMinWork = 0
	defer func() { blasMinWork = old }()
	t.Run("openblas", f)
}

func TestSgemm(t *testing.T) {
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {20, 40, 70}, {4, 33, 9}, {17, 13, 9}, {33, 65, 31}, {64, 70, 129}, {130, 17, 300}, {5, 257, 64}, {96, 200, 33}}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, sz := range sizes {
			m, n, k := sz[0], sz[1], sz[2]
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1.5, 0.25}} {
						alpha, beta := ab[0], ab[1]
						ar, ac := m, k
						if ta {
							ar, ac = k, m
						}
						br, bc := k, n
						if tb {
							br, bc = n, k
						}
						lda, ldb, ldc := ac+2, bc+1, n+3
						a := randSlice(rng, (ar-1)*lda+ac)
						b := randSlice(rng, (br-1)*ldb+bc)
						c := randSlice(rng, (m-1)*ldc+n)
						if beta == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // must not leak through beta == 0
							}
						}
						want := naiveGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						for i := 0; i < m; i++ {
							for j := 0; j < ldc && i*ldc+j < len(c); j++ {
								idx := i*ldc + j
								if j >= n {
									continue
								}
								if d := math.Abs(float64(c[idx]) - want[idx]); !(d <= 1e-4*(1+math.Abs(want[idx]))*math.Sqrt(float64(k))) {
									t.Fatalf("m=%d n=%d k=%d ta=%v tb=%v alpha=%g beta=%g: C[%d,%d]=%g want %g", m, n, k, ta, tb, alpha, beta, i, j, c[idx], want[idx])
								}
							}
						}
					}
				}
			}
		}
	})
}

func TestSgemmDegenerate(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		c := []float32{1, 2, 3, 4}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 2, c, 2) // k = 0: C = beta*C
		if c[0] != 2 || c[3] != 8 {
			t.Fatalf("k=0: got %v", c)
		}
		Sgemm(false, false, 0, 2, 3, 1, nil, 3, make([]float32, 6), 2, 0, nil, 2) // m = 0: nothing
	})
}

func TestSgemmBadArgs(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("short A did not panic")
		}
		if s := fmt.Sprint(r); s == "" {
			t.Fatal("empty panic message")
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

func TestBLASInfo(t *testing.T) {
	info := BLASInfo()
	if info == "" {
		t.Fatal("empty BLASInfo")
	}
	t.Log(info)
}

// Conv-shaped GEMMs of a 3x3 64->64 conv on 128x128 (forward, weight
// gradient, input gradient) and a 1x1 256->64.
var benchShapes = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"fwd_64x16384x576", false, false, 64, 16384, 576},
	{"dw_64x576x16384", false, true, 64, 576, 16384},
	{"dcol_576x16384x64", true, false, 576, 16384, 64},
	{"fwd1x1_64x16384x256", false, false, 64, 16384, 256},
	{"sq_512", false, false, 512, 512, 512},
	{"fc6_512x1024x12544_Bt", false, true, 512, 1024, 12544}, // box head fc6: x * W^T
}

func BenchmarkSgemm(b *testing.B) {
	for _, path := range []string{"go", "openblas"} {
		for _, s := range benchShapes {
			b.Run(path+"/"+s.name, func(b *testing.B) {
				prev := UseBLAS(path == "openblas")
				defer UseBLAS(prev)
				if path == "openblas" && !HaveBLAS() {
					b.Skip("no OpenBLAS")
				}
				rng := rand.New(rand.NewPCG(1, 2))
				a := randSlice(rng, s.m*s.k)
				bb := randSlice(rng, s.k*s.n)
				c := make([]float32, s.m*s.n)
				lda, ldb := s.k, s.n
				if s.ta {
					lda = s.m
				}
				if s.tb {
					ldb = s.k
				}
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i++ {
					Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				flop := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
				b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu := processCPU() - cpu0; cpu > 0 {
					b.ReportMetric(flop/cpu.Seconds()/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}

func TestSetThreadsReachesOpenBLAS(t *testing.T) {
	if !HaveBLAS() {
		t.Skip(BLASInfo())
	}
	prev, prevT, old := UseBLAS(true), Threads(), blasMinWork
	defer func() { UseBLAS(prev); SetThreads(prevT); blasMinWork = old }()
	blasMinWork = 0
	a := make([]float32, 64)
	for _, n := range []int{1, 2} {
		SetThreads(n)
		Sgemm(false, false, 8, 8, 8, 1, a, 8, a, 8, 0, make([]float32, 64), 8)
		if got := blasThreads.Load(); got != int64(n) {
			t.Fatalf("SetThreads(%d): OpenBLAS was given %d threads", n, got)
		}
	}
}
