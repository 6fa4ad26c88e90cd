package cpu

// Reductions shared by the norm kernels. With AVX2 the bulk runs in
// elementwise_amd64.s (four 4-lane float64 accumulators); the portable loops
// keep four float64 accumulators so consecutive additions do not wait on
// each other (a single accumulator is bound by the add latency, about four
// times slower).

// normSum returns the sum of v.
func normSum(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if haveAsmElem && len(v) >= 16 {
		i = len(v) &^ 15
		s0 = sumAVX(&v[0], i)
	}
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// normSumSqDev returns the sum of (v[i]-mu)^2.
func normSumSqDev(v []float32, mu float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if haveAsmElem && len(v) >= 16 {
		i = len(v) &^ 15
		s0 = sumSqDevAVX(&v[0], i, mu)
	}
	for ; i+4 <= len(v); i += 4 {
		d0, d1 := float64(v[i])-mu, float64(v[i+1])-mu
		d2, d3 := float64(v[i+2])-mu, float64(v[i+3])-mu
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(v); i++ {
		d := float64(v[i]) - mu
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// normSumDyDev returns the sums of dy[i] and dy[i]*(x[i]-mu) (len(x) >= len(dy)).
func normSumDyDev(dy, x []float32, mu float64) (sumDy, sumDyDev float64) {
	x = x[:len(dy)]
	var a0, a1, b0, b1 float64
	i := 0
	if haveAsmElem && len(dy) >= 16 {
		i = len(dy) &^ 15
		a0, b0 = sumDyDevAVX(&dy[0], &x[0], i, mu)
	}
	for ; i+2 <= len(dy); i += 2 {
		g0, g1 := float64(dy[i]), float64(dy[i+1])
		a0 += g0
		a1 += g1
		b0 += g0 * (float64(x[i]) - mu)
		b1 += g1 * (float64(x[i+1]) - mu)
	}
	for ; i < len(dy); i++ {
		g := float64(dy[i])
		a0 += g
		b0 += g * (float64(x[i]) - mu)
	}
	return a0 + a1, b0 + b1
}

// normScaleShift sets y[i] = x[i]*scale + shift.
func normScaleShift(y, x []float32, scale, shift float32) { scaleShiftVec(y, x, scale, shift) }
