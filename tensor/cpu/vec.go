package cpu

// Contiguous loops shared by the elementwise, unary and norm kernels: each
// runs the AVX2 loop (elementwise_amd64.s) on the largest multiple of its
// width and a portable loop on the rest (or on everything without AVX2).
// The float32 loops compute exactly what the portable loops compute.

// reluVec sets dst[i] = src[i] if src[i] > 0, else +0 (NaN gives 0).
func reluVec(dst, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if haveAsmElem && len(src) >= 8 {
		i = len(src) &^ 7
		reluAVX(&dst[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		if v := src[i]; v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

// reluGradVec sets dx[i] = dy[i] where y[i] > 0, else +0. y may be the
// relu's input or its output: both are positive at the same places.
func reluGradVec(dx, y, dy []float32) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	i := 0
	if haveAsmElem && len(y) >= 8 {
		i = len(y) &^ 7
		reluGradAVX(&dx[0], &y[0], &dy[0], i)
	}
	for ; i < len(y); i++ {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// binVV sets d[i] = a[i] op b[i].
func binVV(op BinOp, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	i := 0
	if haveAsmElem && len(d) >= 8 {
		i = len(d) &^ 7
		switch op {
		case BinAdd:
			addVVAVX(&d[0], &a[0], &b[0], i)
		case BinSub:
			subVVAVX(&d[0], &a[0], &b[0], i)
		case BinMul:
			mulVVAVX(&d[0], &a[0], &b[0], i)
		case BinDiv:
			divVVAVX(&d[0], &a[0], &b[0], i)
		}
	}
	d, a, b = d[i:], a[i:], b[i:]
	switch op {
	case BinAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case BinSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case BinMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case BinDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	}
}

// binVS sets d[i] = a[i] op v.
func binVS(op BinOp, d, a []float32, v float32) {
	a = a[:len(d)]
	i := 0
	if haveAsmElem && len(d) >= 8 {
		i = len(d) &^ 7
		switch op {
		case BinAdd:
			addVSAVX(&d[0], &a[0], i, v)
		case BinSub:
			subVSAVX(&d[0], &a[0], i, v)
		case BinMul:
			mulVSAVX(&d[0], &a[0], i, v)
		case BinDiv:
			divVSAVX(&d[0], &a[0], i, v)
		}
	}
	d, a = d[i:], a[i:]
	switch op {
	case BinAdd:
		for i := range d {
			d[i] = a[i] + v
		}
	case BinSub:
		for i := range d {
			d[i] = a[i] - v
		}
	case BinMul:
		for i := range d {
			d[i] = a[i] * v
		}
	case BinDiv:
		for i := range d {
			d[i] = a[i] / v
		}
	}
}

// binSV sets d[i] = v op b[i].
func binSV(op BinOp, d []float32, v float32, b []float32) {
	b = b[:len(d)]
	i := 0
	if haveAsmElem && len(d) >= 8 {
		i = len(d) &^ 7
		switch op {
		case BinAdd:
			addSVAVX(&d[0], v, &b[0], i)
		case BinSub:
			subSVAVX(&d[0], v, &b[0], i)
		case BinMul:
			mulSVAVX(&d[0], v, &b[0], i)
		case BinDiv:
			divSVAVX(&d[0], v, &b[0], i)
		}
	}
	d, b = d[i:], b[i:]
	switch op {
	case BinAdd:
		for i := range d {
			d[i] = v + b[i]
		}
	case BinSub:
		for i := range d {
			d[i] = v - b[i]
		}
	case BinMul:
		for i := range d {
			d[i] = v * b[i]
		}
	case BinDiv:
		for i := range d {
			d[i] = v / b[i]
		}
	}
}

// scaleShiftVec sets y[i] = x[i]*scale + shift (a multiply, then an add).
func scaleShiftVec(y, x []float32, scale, shift float32) {
	y = y[:len(x)]
	i := 0
	if haveAsmElem && len(x) >= 8 {
		i = len(x) &^ 7
		scaleShiftAVX(&y[0], &x[0], i, scale, shift)
	}
	for ; i < len(x); i++ {
		y[i] = x[i]*scale + shift
	}
}

// bnDxVec sets dx[i] = dy[i]*k - a - (x[i]-mu)*b, evaluated left to right.
func bnDxVec(dx, dy, x []float32, k, a, mu, b float32) {
	dx, x = dx[:len(dy)], x[:len(dy)]
	i := 0
	if haveAsmElem && len(dy) >= 8 {
		i = len(dy) &^ 7
		bnDxAVX(&dx[0], &dy[0], &x[0], i, k, a, mu, b)
	}
	for ; i < len(dy); i++ {
		dx[i] = dy[i]*k - a - (x[i]-mu)*b
	}
}
