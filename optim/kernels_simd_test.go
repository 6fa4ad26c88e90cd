package optim

import (
	"math"
	"math/rand"
	"testing"
)

func rand32(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64()*scale + 0.1)
	}
	return x
}

// The assembly loops and the Go loops must agree bit for bit (same
// operations in the same order), on every length.
func TestAssemblyMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this machine: only the Go loops run")
	}
	defer func() { useAVX2 = true }()
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{1, 7, 8, 9, 16, 27, 64, 72, 100, 136, 1027, 1032} {
		g, p := rand32(r, n, 1), rand32(r, n, 0.3)
		a, v := rand32(r, n, 0.5), rand32(r, n, 0.01)
		for i := range v {
			v[i] = v[i] * v[i]
		}
		type out struct {
			s1, s2 float64
			s3, s4 float64
			p, a   []float32
			pa, m  []float32
			v      []float32
			u, pu  []float32
			m2, v2 []float32
		}
		run := func(asm bool) out {
			useAVX2 = asm
			var o out
			o.s1 = sumAXPBY(g, p, 0.7, 1e-4)
			o.s2 = sumSquares(g)
			o.s3 = gcRowSum(g, p, 0.7, 1e-4)
			o.s4 = gcRowSum(g, p, 1, 0)
			o.p, o.a = append([]float32(nil), p...), append([]float32(nil), a...)
			sgdMomentum(o.p, g, o.a, 0.7, 1e-4, 0.013, 0.9, 1, 0.02)
			o.pa, o.m, o.v = append([]float32(nil), p...), append([]float32(nil), a...), append([]float32(nil), v...)
			k := &adamKernel[float32]{clip: 0.7, wd: 1e-2, b1: 0.9, b2: 0.999, omb1: 0.1, omb2: 0.001,
				bc2sqrt: float32(math.Sqrt(1 - math.Pow(0.999, 3))), eps: 1e-8, negStep: -1e-3 / float32(1-math.Pow(0.9, 3)), decay: 0.99999}
			adamUpdate(o.pa, g, o.m, o.v, k, 0.021)
			// GC on the update: U into a buffer, then p -= U - mu.
			k.stepSize, k.lrwd = 1e-3/float32(1-math.Pow(0.9, 3)), 1e-5
			o.u = make([]float32, n)
			o.m2, o.v2 = append([]float32(nil), a...), append([]float32(nil), v...)
			adamUpdateOut(p, g, o.m2, o.v2, o.u, k)
			o.pu = append([]float32(nil), p...)
			applyUpdate(o.pu, o.u, 0.003)
			return o
		}
		asm, ref := run(true), run(false)
		// The fused row kernels against the generic row-by-row path, with
		// and without their prefetching variant.
		if n%8 == 0 {
			for _, m := range []int{8, 16, 24, n} {
				for _, pfBytes := range []int{0, 1 << 40} {
					for _, cw := range [][2]float32{{0.7, 1e-2}, {1, 0}} { // {1, 0}: the gradient-only sum
						if n%m == 0 {
							checkFusedRows(t, n, m, pfBytes, cw[0], cw[1], p, g, a, v)
						}
					}
				}
			}
		}
		if asm.s1 != ref.s1 || asm.s2 != ref.s2 || asm.s3 != ref.s3 || asm.s4 != ref.s4 {
			t.Errorf("n=%d: sums %v %v %v %v (asm) vs %v %v %v %v (Go)", n, asm.s1, asm.s2, asm.s3, asm.s4, ref.s1, ref.s2, ref.s3, ref.s4)
		}
		for name, pair := range map[string][2][]float32{"sgd p": {asm.p, ref.p}, "sgd buf": {asm.a, ref.a},
			"adam p": {asm.pa, ref.pa}, "adam m": {asm.m, ref.m}, "adam v": {asm.v, ref.v},
			"adam U": {asm.u, ref.u}, "adam m (U)": {asm.m2, ref.m2}, "adam v (U)": {asm.v2, ref.v2}, "p - (U - mu)": {asm.pu, ref.pu}} {
			if !sameBits(pair[0], pair[1]) {
				t.Errorf("n=%d: %s differs between assembly and Go", n, name)
			}
		}
	}
}

// checkFusedRows compares sgdGCRows and adamGCRows over n values in rows
// of m with the generic kernels row by row, rowPrefetchBytes set to
// pfBytes (0: every row takes the prefetching variant), with clip factor
// clip and coupled decay wd.
func checkFusedRows(t *testing.T, n, m, pfBytes int, clip, wd float32, p, g, a, v []float32) {
	t.Helper()
	defer func(old int) { rowPrefetchBytes = old; useAVX2 = true }(rowPrefetchBytes)
	rowPrefetchBytes = pfBytes
	pa, aa := append([]float32(nil), p...), append([]float32(nil), a...)
	useAVX2 = true
	if !sgdGCRows(pa, g, aa, m, clip, wd, 0.9, 0.5, 0.02) {
		t.Fatal("sgdGCRows declined")
	}
	useAVX2 = false
	pr, ar := append([]float32(nil), p...), append([]float32(nil), a...)
	k := &sgdKernel[float32]{clip: clip, wd: wd, mom: 0.9, damp1: 0.5, lr: 0.02, hasMom: true}
	for r := 0; r < n/m; r++ {
		s := seg[float32]{p: pr[r*m : (r+1)*m], g: g[r*m : (r+1)*m], a: ar[r*m : (r+1)*m]}
		k.applyGrad(s, float32(k.sumGrad(s)/float64(m)))
	}
	if !sameBits(pa, pr) || !sameBits(aa, ar) {
		t.Errorf("n=%d m=%d prefetch above %d B, clip %v wd %v: fused GC rows differ from the generic path", n, m, pfBytes, clip, wd)
	}
	ka := &adamKernel[float32]{clip: clip, wd: wd, b1: 0.9, b2: 0.999, omb1: 0.1, omb2: 0.001,
		bc2sqrt: 0.05, eps: 1e-8, negStep: -3e-3, decay: 0.9999}
	pa, ma, va := append([]float32(nil), p...), append([]float32(nil), a...), append([]float32(nil), v...)
	useAVX2 = true
	if !adamGCRows(pa, g, ma, va, m, ka) {
		t.Fatal("adamGCRows declined")
	}
	useAVX2 = false
	pr, mr, vr := append([]float32(nil), p...), append([]float32(nil), a...), append([]float32(nil), v...)
	for r := 0; r < n/m; r++ {
		s := seg[float32]{p: pr[r*m : (r+1)*m], g: g[r*m : (r+1)*m], a: mr[r*m : (r+1)*m], b: vr[r*m : (r+1)*m]}
		ka.applyGrad(s, float32(ka.sumGrad(s)/float64(m)))
	}
	if !sameBits(pa, pr) || !sameBits(ma, mr) || !sameBits(va, vr) {
		t.Errorf("n=%d m=%d prefetch above %d B, clip %v wd %v: fused Adam GC rows differ from the generic path", n, m, pfBytes, clip, wd)
	}
}

// gcRowSum adds float32 values in float32 lanes for runs of gcChunk
// values: its error against an exact sum of the same float32 terms stays
// within a few float32 roundings of the runs' partial sums, far below
// what centralizing in float32 then loses anyway (each centralized value
// is rounded to float32: an error of up to eps/2 of its magnitude).
func TestGCRowSumAccuracy(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, n := range []int{64, 576, 4608, 12544, 12551} {
		for _, offset := range []float64{0, 0.1, 10} { // mean far from, near, or at the scale of the values
			g, p := make([]float32, n), make([]float32, n)
			for i := range g {
				g[i] = float32(r.NormFloat64() + offset)
				p[i] = float32(r.NormFloat64() * 0.1)
			}
			const c, w = 0.7, 1e-4
			var exact, abs float64
			for i := range g {
				d := float64(float32(c)*g[i] + float32(w)*p[i]) // the float32 terms, summed exactly below
				exact += d
				abs += math.Abs(d)
			}
			for _, asm := range []bool{false, true} {
				if asm && !useAVX2 {
					continue
				}
				func() {
					defer func(old bool) { useAVX2 = old }(useAVX2)
					useAVX2 = asm
					got := gcRowSum(g, p, c, w)
					// Each term passes through at most 8 float32 additions
					// (eps32/2 relative each); the float64 part is exact
					// to ~1e-16.
					if bound := 8 * 0x1p-24 * abs; math.Abs(got-exact) > bound {
						t.Errorf("n=%d offset=%v asm=%v: sum %v, exact %v (error %.3g > %.3g)", n, offset, asm, got, exact, math.Abs(got-exact), bound)
					}
					// The mean GC subtracts is within 1e-6 of the values'
					// mean magnitude.
					if d := math.Abs(got-exact) / float64(n); d > 1e-6*abs/float64(n) {
						t.Errorf("n=%d offset=%v: mean off by %.3g", n, offset, d)
					}
				}()
			}
		}
	}
}
