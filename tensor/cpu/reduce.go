package cpu

// ReduceSum sums src viewed as [outer, n, inner] over its middle axis into
// dst [outer, inner]. Sums accumulate in float64.
func ReduceSum(dst, src []float32, outer, n, inner int) {
	if outer*inner == 0 {
		return
	}
	if n == 0 {
		for i := range dst[:outer*inner] {
			dst[i] = 0
		}
		return
	}
	if inner == 1 {
		reduceRows(dst, src, outer, n)
		return
	}
	grain := elemGrain / n
	if grain < 1 {
		grain = 1
	}
	Parallel(outer*inner, grain, func(lo, hi int) {
		seg := hi - lo
		if seg > inner {
			seg = inner
		}
		acc := make([]float64, seg)
		for p := lo; p < hi; {
			o, i0 := p/inner, p%inner
			m := inner - i0
			if m > hi-p {
				m = hi - p
			}
			a := acc[:m]
			for i := range a {
				a[i] = 0
			}
			for j := 0; j < n; j++ {
				row := src[(o*n+j)*inner+i0:][:m]
				for i, v := range row {
					a[i] += float64(v)
				}
			}
			d := dst[p : p+m]
			for i := range d {
				d[i] = float32(a[i])
			}
			p += m
		}
	})
}

// reduceRows sums each of the outer contiguous rows of length n.
func reduceRows(dst, src []float32, outer, n int) {
	if outer >= 2*Threads() || outer*n < 2*elemGrain {
		grain := elemGrain / n
		if grain < 1 {
			grain = 1
		}
		Parallel(outer, grain, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				dst[o] = float32(sum64(src[o*n : (o+1)*n]))
			}
		})
		return
	}
	// Few long rows: split each row across goroutines.
	w := Threads()
	part := make([]float64, w)
	for o := 0; o < outer; o++ {
		row := src[o*n : (o+1)*n]
		chunk := (n + w - 1) / w
		for i := range part {
			part[i] = 0
		}
		Parallel(w, 1, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				a, b := t*chunk, (t+1)*chunk
				if a > n {
					a = n
				}
				if b > n {
					b = n
				}
				part[t] = sum64(row[a:b])
			}
		})
		s := 0.0
		for _, v := range part {
			s += v
		}
		dst[o] = float32(s)
	}
}

func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}
