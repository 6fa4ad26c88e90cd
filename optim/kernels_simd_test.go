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
	for _, n := range []int{1, 7, 8, 9, 16, 27, 64, 100, 1027} {
		g, p := rand32(r, n, 1), rand32(r, n, 0.3)
		a, v := rand32(r, n, 0.5), rand32(r, n, 0.01)
		for i := range v {
			v[i] = v[i] * v[i]
		}
		type out struct {
			s1, s2 float64
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
		// The fused row kernel against the generic row-by-row path.
		if n%8 == 0 {
			for _, m := range []int{8, n} {
				if n%m != 0 {
					continue
				}
				pa, aa := append([]float32(nil), p...), append([]float32(nil), a...)
				useAVX2 = true
				if !sgdGCRows(pa, g, aa, m, 0.7, 1e-4, 0.9, 0.5, 0.02) {
					t.Fatal("sgdGCRows declined")
				}
				useAVX2 = false
				pr, ar := append([]float32(nil), p...), append([]float32(nil), a...)
				k := &sgdKernel[float32]{clip: 0.7, wd: 1e-4, mom: 0.9, damp1: 0.5, lr: 0.02, hasMom: true}
				for r := 0; r < n/m; r++ {
					s := seg[float32]{p: pr[r*m : (r+1)*m], g: g[r*m : (r+1)*m], a: ar[r*m : (r+1)*m]}
					k.applyGrad(s, float32(k.sumGrad(s)/float64(m)))
				}
				if !sameBits(pa, pr) || !sameBits(aa, ar) {
					t.Errorf("n=%d m=%d: fused GC rows differ from the generic path", n, m)
				}
				ka := &adamKernel[float32]{clip: 0.7, wd: 1e-2, b1: 0.9, b2: 0.999, omb1: 0.1, omb2: 0.001,
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
					t.Errorf("n=%d m=%d: fused Adam GC rows differ from the generic path", n, m)
				}
			}
		}
		if asm.s1 != ref.s1 || asm.s2 != ref.s2 {
			t.Errorf("n=%d: sums %v %v (asm) vs %v %v (Go)", n, asm.s1, asm.s2, ref.s1, ref.s2)
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
