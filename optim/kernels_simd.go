package optim

// The hot loops, each in two forms with bit-identical results: plain Go
// (generic, the reference and the float64 path) and, for float32 on amd64
// with AVX2, assembly (kernels_amd64.s) over the largest multiple of 8
// values, the Go loop finishing the tail. Sums use 8 lanes (lane j takes
// the values with i%8 == j) combined in a fixed order, so both forms add
// in the same order.

// sgdConsts and adamConsts are the per-step scalars of the assembly loops
// (field order is the assembly's layout).
type sgdConsts struct{ clip, wd, mu, mom, damp1, lr float32 }

type adamConsts struct {
	clip, wd, mu, b1, omb1, b2, omb2, bc2sqrt, eps, negStep, decay, stepSize, lrwd float32
}

// gcChunk is the run of values a GC row sum adds in the element type
// before moving the partial sums to float64 (see gcRowSum).
const gcChunk = 64

// Flags of the assembly row sums and row loops.
const (
	rowPrefetch = 1 // take the prefetching variant of the row loop
	rowGradOnly = 2 // c == 1 and w == 0: the row sum is the gradient's
)

// rowFlags returns the flags for rows of m values streaming bytesPer
// bytes per value, with clip factor c and coupled decay w.
func rowFlags[F Float](m, bytesPer int, c, w F) int {
	f := 0
	if bytesPer*m > rowPrefetchBytes {
		f |= rowPrefetch
	}
	if c == 1 && w == 0 {
		f |= rowGradOnly
	}
	return f
}

// rowPrefetchBytes: the fused GC row kernels prefetch when one row of all
// the arrays they stream is larger than this (the L1 data cache of current
// x86 cores); a variable so tests can force either variant.
var rowPrefetchBytes = 32 << 10

func combine8(acc *[8]float64) float64 {
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// sumAXPBY returns the sum of float64(c*g[i] + w*p[i]).
func sumAXPBY[F Float](g, p []F, c, w F) float64 {
	g = g[:len(p)]
	n8 := len(p) &^ 7
	var s float64
	if p32, ok := any(p).([]float32); ok && useAVX2 && n8 > 0 {
		g32 := any(g).([]float32)
		s = sumAXPBY8(&g32[0], &p32[0], n8, float32(c), float32(w))
	} else {
		var acc [8]float64
		for i := 0; i < n8; i += 8 {
			gb, pb := g[i:i+8], p[i:i+8]
			for j := range 8 {
				acc[j] += float64(c*gb[j] + w*pb[j])
			}
		}
		s = combine8(&acc)
	}
	for i := n8; i < len(p); i++ {
		s += float64(c*g[i] + w*p[i])
	}
	return s
}

// gcRowSum returns the sum of d[i] = c*g[i] + w*p[i] over a GC row: the
// gradient as the buffers see it (clip factor c, coupled L2 decay w),
// whose mean GC subtracts. d is formed in the element type, exactly as the
// update forms it, and added in runs of gcChunk values: each of the 8
// lanes (lane j takes i%8 == j) adds its 8 values of the run in the
// element type, then the run's lane sums go to float64 lane totals,
// combined as combine8. For float32 that is two multiplies and two adds
// per 8 values, against ten instructions to convert each value and add
// in float64; as a float32 lane only ever adds 8 values, the mean keeps
// nearly the accuracy of float64 accumulation (TestGCRowSumAccuracy).
// With c == 1 and w == 0 (AdamW, or no decay, without clipping) d is g
// itself and p is not read (one add per 8 values; for finite p the same
// bits, as 1*g + 0*p == g).
func gcRowSum[F Float](g, p []F, c, w F) float64 {
	g = g[:len(p)]
	n8 := len(p) &^ 7
	gOnly := c == 1 && w == 0
	var s float64
	if p32, ok := any(p).([]float32); ok && useAVX2 && n8 > 0 {
		flags := 0
		if gOnly {
			flags = rowGradOnly
		}
		s = gcSum8(&any(g).([]float32)[0], &p32[0], n8, float32(c), float32(w), flags)
	} else {
		var acc [8]float64
		for lo := 0; lo < n8; lo += gcChunk {
			hi := min(lo+gcChunk, n8)
			var sd [8]F
			for i := lo; i < hi; i += 8 {
				gb, pb := g[i:i+8], p[i:i+8]
				if gOnly {
					for j := range 8 {
						sd[j] += gb[j]
					}
					continue
				}
				for j := range 8 {
					sd[j] += c*gb[j] + w*pb[j]
				}
			}
			for j := range 8 {
				acc[j] += float64(sd[j])
			}
		}
		s = combine8(&acc)
	}
	for i := n8; i < len(p); i++ {
		s += float64(c*g[i] + w*p[i])
	}
	return s
}

// sumSquares returns the sum of float64(g[i])^2.
func sumSquares[F Float](g []F) float64 {
	n8 := len(g) &^ 7
	var s float64
	if g32, ok := any(g).([]float32); ok && useAVX2 && n8 > 0 {
		s = sumSq8(&g32[0], n8)
	} else {
		var acc [8]float64
		for i := 0; i < n8; i += 8 {
			gb := g[i : i+8]
			for j := range 8 {
				x := float64(gb[j])
				acc[j] += x * x
			}
		}
		s = combine8(&acc)
	}
	for i := n8; i < len(g); i++ {
		x := float64(g[i])
		s += x * x
	}
	return s
}

// sgdMomentum is SGD's common update (momentum, not the first step, no
// Nesterov, coupled decay): d = clip*g + wd*p - mu; a = mom*a + damp1*d;
// p -= lr*a.
func sgdMomentum[F Float](p, g, a []F, clip, wd, mu, mom, damp1, lr F) {
	g, a = g[:len(p)], a[:len(p)]
	start := 0
	if p32, ok := any(p).([]float32); ok && useAVX2 && len(p) >= 8 {
		start = len(p) &^ 7
		k := sgdConsts{float32(clip), float32(wd), float32(mu), float32(mom), float32(damp1), float32(lr)}
		sgdMomentum8(&p32[0], &any(g).([]float32)[0], &any(a).([]float32)[0], start, &k)
	}
	for i := start; i < len(p); i++ {
		d := clip*g[i] + wd*p[i] - mu
		b := mom*a[i] + damp1*d
		a[i] = b
		p[i] -= lr * b
	}
}

// adamUpdate is Adam's and AdamW's update with the gradient centralized
// by mu (decay is 1 for Adam, wd is 0 for AdamW).
func adamUpdate[F Float](p, g, m, v []F, k *adamKernel[F], mu F) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	clip, wd, b1, b2, omb1, omb2 := k.clip, k.wd, k.b1, k.b2, k.omb1, k.omb2
	bc2sqrt, eps, negStep, decay := k.bc2sqrt, k.eps, k.negStep, k.decay
	start := 0
	if p32, ok := any(p).([]float32); ok && useAVX2 && len(p) >= 8 {
		start = len(p) &^ 7
		c := adamConsts{float32(clip), float32(wd), float32(mu), float32(b1), float32(omb1), float32(b2), float32(omb2),
			float32(bc2sqrt), float32(eps), float32(negStep), float32(decay), 0, 0}
		adam8(&p32[0], &any(g).([]float32)[0], &any(m).([]float32)[0], &any(v).([]float32)[0], start, &c)
	}
	for i := start; i < len(p); i++ {
		d := clip*g[i] + wd*p[i] - mu
		mi := b1*m[i] + omb1*d
		vi := b2*v[i] + omb2*d*d
		m[i], v[i] = mi, vi
		den := sqrtF(vi)/bc2sqrt + eps
		p[i] = p[i]*decay + negStep*mi/den
	}
}

// streamBound32 is the memory-traffic bound of a momentum step over p, g,
// a (a += g; p += a): the benchmarks' yardstick, not used by optimizers.
func streamBound32(p, g, a []float32) {
	g, a = g[:len(p)], a[:len(p)]
	start := 0
	if useAVX2 && len(p) >= 8 {
		start = len(p) &^ 7
		stream8(&p[0], &g[0], &a[0], start)
	}
	for i := start; i < len(p); i++ {
		a[i] += g[i]
		p[i] += a[i]
	}
}

// sgdGCRows applies SGD's common update (see sgdMomentum) with GC on the
// gradient to consecutive rows of m values: per row, mu = gcRowSum(g, p,
// clip, wd)/m, then the update. It reports false, doing nothing, when no
// assembly loop fits (the caller then runs the generic kernel methods,
// which give the same bits).
//
// Each row is read twice, once to sum and once to update, and the second
// read finds the row in cache (L1 for rows of at most 2730 values, else
// L2). Rows larger than rowPrefetchBytes (p, g and the buffer) also
// prefetch the row's momentum buffer during the sum pass, so the update
// pass runs from cache instead of waiting on one lone memory stream.
func sgdGCRows[F Float](p, g, a []F, m int, clip, wd, mom, damp1, lr F) bool {
	p32, ok := any(p).([]float32)
	if !ok || !useAVX2 || m%8 != 0 || len(p) == 0 {
		return false
	}
	k := sgdConsts{clip: float32(clip), wd: float32(wd), mom: float32(mom), damp1: float32(damp1), lr: float32(lr)}
	sgdGCRows8(&p32[0], &any(g).([]float32)[0], &any(a).([]float32)[0], len(p)/m, m, &k, rowFlags(m, 12, clip, wd))
	return true
}

// adamUpdateOut is Adam's and AdamW's buffer update for GC on the update:
// it writes U = stepSize*m/denom + lrwd*p (lrwd is 0 for Adam) into out
// and leaves the values alone.
func adamUpdateOut[F Float](p, g, m, v, out []F, k *adamKernel[F]) {
	g, m, v, out = g[:len(p)], m[:len(p)], v[:len(p)], out[:len(p)]
	start := 0
	if p32, ok := any(p).([]float32); ok && useAVX2 && len(p) >= 8 {
		start = len(p) &^ 7
		c := adamConsts{clip: float32(k.clip), wd: float32(k.wd), b1: float32(k.b1), omb1: float32(k.omb1), b2: float32(k.b2),
			omb2: float32(k.omb2), bc2sqrt: float32(k.bc2sqrt), eps: float32(k.eps), stepSize: float32(k.stepSize), lrwd: float32(k.lrwd)}
		adamUpd8(&p32[0], &any(g).([]float32)[0], &any(m).([]float32)[0], &any(v).([]float32)[0], &any(out).([]float32)[0], start, &c)
	}
	for i := start; i < len(p); i++ {
		d := k.clip*g[i] + k.wd*p[i]
		mi := k.b1*m[i] + k.omb1*d
		vi := k.b2*v[i] + k.omb2*d*d
		m[i], v[i] = mi, vi
		out[i] = k.stepSize*mi/(sqrtF(vi)/k.bc2sqrt+k.eps) + k.lrwd*p[i]
	}
}

// applyUpdate writes p -= u - mu: the second half of placement "update",
// shared by every algorithm.
func applyUpdate[F Float](p, u []F, mu F) {
	u = u[:len(p)]
	start := 0
	if p32, ok := any(p).([]float32); ok && useAVX2 && len(p) >= 8 {
		start = len(p) &^ 7
		subShift8(&p32[0], &any(u).([]float32)[0], start, float32(mu))
	}
	for i := start; i < len(p); i++ {
		p[i] -= u[i] - mu
	}
}

// adamGCRows applies Adam's or AdamW's update with GC on the gradient to
// consecutive rows of width values (see sgdGCRows). Adam's update is
// compute-bound (a square root and two divisions per value), so rows
// larger than rowPrefetchBytes (p, g, m, v) prefetch the next row during
// the update: its sum pass then reads from cache while this row computes.
func adamGCRows[F Float](p, g, m, v []F, width int, k *adamKernel[F]) bool {
	p32, ok := any(p).([]float32)
	if !ok || !useAVX2 || width%8 != 0 || len(p) == 0 {
		return false
	}
	c := adamConsts{clip: float32(k.clip), wd: float32(k.wd), b1: float32(k.b1), omb1: float32(k.omb1), b2: float32(k.b2),
		omb2: float32(k.omb2), bc2sqrt: float32(k.bc2sqrt), eps: float32(k.eps), negStep: float32(k.negStep), decay: float32(k.decay)}
	adamGCRows8(&p32[0], &any(g).([]float32)[0], &any(m).([]float32)[0], &any(v).([]float32)[0], len(p)/width, width, &c, rowFlags(width, 16, k.clip, k.wd))
	return true
}
