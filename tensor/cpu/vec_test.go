package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX2 loops against the portable loops (and the portable loops
// against their definitions) on lengths around the vector widths, with
// NaN, ±Inf and -0 among the values.

func vecInput(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0}
	for i := range s {
		if rng.IntN(10) == 0 {
			s[i] = special[rng.IntN(len(special))]
		} else {
			s[i] = float32(rng.NormFloat64())
		}
	}
	return s
}

// sameBits reports whether two slices hold identical values (NaN equal to
// NaN, +0 different from -0).
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// bothWays runs f with the assembly loops off, then on, and returns the
// two outputs.
func bothWays(t *testing.T, f func() []float32) (portable, asm []float32) {
	prev := setAsmElem(false)
	portable = f()
	setAsmElem(true)
	asm = f()
	setAsmElem(prev)
	return portable, asm
}

func TestVecLoopsMatchPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 100, 1000, 4099} {
		a, b, c := vecInput(rng, n), vecInput(rng, n), vecInput(rng, n)
		v := float32(rng.NormFloat64())
		cases := map[string]func() []float32{
			"relu":       func() []float32 { d := make([]float32, n); reluVec(d, a); return d },
			"reluGrad":   func() []float32 { d := make([]float32, n); reluGradVec(d, a, b); return d },
			"scaleShift": func() []float32 { d := make([]float32, n); scaleShiftVec(d, a, v, 0.25); return d },
			"bnDx":       func() []float32 { d := make([]float32, n); bnDxVec(d, a, b, v, 0.5, -0.25, 1.5); return d },
		}
		for _, op := range []BinOp{BinAdd, BinSub, BinMul, BinDiv} {
			cases["vv"+string(rune('0'+op))] = func() []float32 { d := make([]float32, n); binVV(op, d, a, b); return d }
			cases["vs"+string(rune('0'+op))] = func() []float32 { d := make([]float32, n); binVS(op, d, a, v); return d }
			cases["sv"+string(rune('0'+op))] = func() []float32 { d := make([]float32, n); binSV(op, d, v, b); return d }
		}
		for name, f := range cases {
			p, q := bothWays(t, f)
			if i := sameBits(p, q); i >= 0 {
				t.Fatalf("%s n=%d: position %d: portable %g, asm %g", name, n, i, p[i], q[i])
			}
		}
		// Definitions of relu and its gradient: +0 unless > 0.
		d := make([]float32, n)
		g := make([]float32, n)
		reluVec(d, a)
		reluGradVec(g, a, c)
		for i, x := range a {
			want, wantG := float32(0), float32(0)
			if x > 0 {
				want, wantG = x, c[i]
			}
			if math.Float32bits(d[i]) != math.Float32bits(want) {
				t.Fatalf("relu(%g) = %g, want %g", x, d[i], want)
			}
			if sameBits(g[i:i+1], []float32{wantG}) >= 0 {
				t.Fatalf("relu grad at %g of %g = %g, want %g", x, c[i], g[i], wantG)
			}
		}
	}
}

func TestVecSumsMatchPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 3136, 12545} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()*3 + 1)
			dy[i] = float32(rng.NormFloat64())
		}
		var s, sq, a, b [2]float64
		for k, on := range []bool{false, true} {
			prev := setAsmElem(on)
			s[k] = normSum(x)
			sq[k] = normSumSqDev(x, 1.25)
			a[k], b[k] = normSumDyDev(dy, x, 1.25)
			setAsmElem(prev)
		}
		for name, p := range map[string][2]float64{"sum": s, "sumSqDev": sq, "sumDy": a, "sumDyDev": b} {
			if math.Abs(p[0]-p[1]) > 1e-12*(1+math.Abs(p[0]))*float64(n+1) {
				t.Fatalf("%s n=%d: portable %.17g, asm %.17g", name, n, p[0], p[1])
			}
		}
	}
}

// BenchmarkReluBottleneck times relu forward and backward on the largest
// activation of a ResNet-50 bottleneck (256x56x56 values), portable loops
// against AVX2, one thread.
func BenchmarkReluBottleneck(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 256 * 56 * 56
	x, dy := vecInput(rng, n), vecInput(rng, n)
	y, dx := make([]float32, n), make([]float32, n)
	old := Threads()
	SetThreads(1)
	defer SetThreads(old)
	for _, asm := range []bool{false, true} {
		name := "portable"
		if asm {
			name = "avx2"
		}
		b.Run(name+"/fwd", func(b *testing.B) {
			prev := setAsmElem(asm)
			defer setAsmElem(prev)
			b.SetBytes(8 * n)
			for b.Loop() {
				Relu(y, x)
			}
		})
		b.Run(name+"/bwd", func(b *testing.B) {
			prev := setAsmElem(asm)
			defer setAsmElem(prev)
			b.SetBytes(12 * n)
			for b.Loop() {
				ReluBackward(dx, y, dy)
			}
		})
	}
}
