package cpu

// Convolution on the Go GEMM with im2col fused into the packing: the GEMM
// asks its operands to pack KC x NC blocks (gemm_go.go), and the sources
// here produce those blocks straight from the image, so the col matrix is
// never stored. The workspace is the GEMM's packing buffers (about 1.1 MB
// per thread, kept for reuse) whatever the image size, and the image is read
// from cache instead of a col matrix from memory.
//
//   - forward:         y[n,g] = w[g] * col(x[n,g])                 (colSource)
//   - weight gradient: dw[g] += dy[n,g] * col(x[n,g])^T            (colTSource)
//   - input gradient, stride 1 and pad <= dil*(k-1): dx[n,g] =
//     conv(dy[n,g], flip(w[g])), the forward kernel again on the flipped
//     weight (flipSource) with padding dil*(k-1) - pad; 1x1 stride 1:
//     w[g]^T * dy; otherwise dcol = w[g]^T * dy in chunks, then col2im.

// colSource is col(x) of one image and group as the k x n right operand:
// k runs over (channel, ki, kj), n over output pixels.
type colSource struct {
	g ConvGeom
	x []float32 // the group's channels [C/G, H, W]
}

func (s colSource) packB(dst, tmp []float32, r0, kc, p0, nc int) {
	full := nc - nc%gemmNR
	if full < nc {
		clear(dst[full*kc : (full+gemmNR)*kc])
	}
	kk, hw := s.g.KH*s.g.KW, s.g.H*s.g.W
	for r := r0; r < r0+kc; r++ {
		c, t := r/kk, r%kk
		xc := s.x[c*hw : (c+1)*hw]
		if s.g.StrideW == 1 {
			im2colPanelRow(s.g, xc, t/s.g.KW, t%s.g.KW, p0, nc, dst[(r-r0)*gemmNR:], kc*gemmNR)
			continue
		}
		row := tmp[:nc]
		im2colRow(s.g, xc, t/s.g.KW, t%s.g.KW, p0, p0+nc, row)
		copyPanels(dst[(r-r0)*gemmNR:], kc*gemmNR, row, full/gemmNR)
		if full < nc {
			copy(dst[full*kc+(r-r0)*gemmNR:], row[full:])
		}
	}
}

// im2colPanelRow is im2colRow for stride-1 columns writing straight into
// packed panels: the value of pixel p0+j goes to dst[(j/NR)*stride + j%NR].
func im2colPanelRow(g ConvGeom, xc []float32, ki, kj, p0, nc int, dst []float32, stride int) {
	if g.shifted() {
		a, b, shift, offW := g.shiftRange(ki, kj, p0, p0+nc)
		zeroRun(dst, stride, 0, a-p0)
		if a < b {
			copyRun(dst, stride, a-p0, xc[a+shift:b+shift])
		}
		zeroRun(dst, stride, b-p0, p0+nc-b)
		g.shiftBorders(offW, a, b, func(p int) {
			j := p - p0
			dst[(j/gemmNR)*stride+j%gemmNR] = 0
		})
		return
	}
	oh, ow := p0/g.OW, p0%g.OW
	offH := ki*g.DilH - g.PadH
	offW := kj*g.DilW - g.PadW
	for j := 0; j < nc; {
		n := min(g.OW-ow, nc-j) // pixels left in this output row
		ih := oh*g.StrideH + offH
		if ih < 0 || ih >= g.H {
			zeroRun(dst, stride, j, n)
		} else {
			iw := ow + offW
			j0, j1 := 0, n // valid columns: 0 <= iw+q < W
			if iw < 0 {
				j0 = min(-iw, n)
			}
			if iw+n > g.W {
				j1 = max(g.W-iw, j0)
			}
			zeroRun(dst, stride, j, j0)
			if j0 < j1 { // else the whole segment is padding
				copyRun(dst, stride, j+j0, xc[ih*g.W+iw+j0:ih*g.W+iw+j1])
			}
			zeroRun(dst, stride, j+j1, n-j1)
		}
		j += n
		oh, ow = oh+1, 0
	}
}

// copyRun writes src to panel positions j, j+1, ... (see im2colPanelRow).
func copyRun(dst []float32, stride, j int, src []float32) {
	if off := j % gemmNR; off != 0 && len(src) > 0 {
		n := min(gemmNR-off, len(src))
		copy(dst[(j/gemmNR)*stride+off:][:n], src[:n])
		j, src = j+n, src[n:]
	}
	if chunks := len(src) / gemmNR; chunks > 0 {
		copyPanels(dst[(j/gemmNR)*stride:], stride, src, chunks)
		j, src = j+chunks*gemmNR, src[chunks*gemmNR:]
	}
	if len(src) > 0 {
		copy(dst[(j/gemmNR)*stride:][:len(src)], src)
	}
}

// zeroRun zeroes n panel positions from j.
func zeroRun(dst []float32, stride, j, n int) {
	for n > 0 {
		off := j % gemmNR
		m := min(gemmNR-off, n)
		clear(dst[(j/gemmNR)*stride+off:][:m])
		j, n = j+m, n-m
	}
}

// colTSource is col(x)^T of one image and group as the k x n right
// operand: k runs over output pixels, n over (channel, ki, kj).
type colTSource struct {
	g ConvGeom
	x []float32 // the group's channels [C/G, H, W]
}

func (s colTSource) packB(dst, tmp []float32, p0, kc, r0, nc int) {
	kk, hw := s.g.KH*s.g.KW, s.g.H*s.g.W
	for jp := 0; jp < nc; jp += gemmNR {
		cols := min(gemmNR, nc-jp)
		// NR rows of col over pixels [p0, p0+kc) into tmp, then transpose
		// them into the panel.
		for j := 0; j < gemmNR; j++ {
			t := tmp[j*kc : (j+1)*kc]
			if j >= cols {
				clear(t)
				continue
			}
			r := r0 + jp + j
			c, q := r/kk, r%kk
			im2colRow(s.g, s.x[c*hw:(c+1)*hw], q/s.g.KW, q%s.g.KW, p0, p0+kc, t)
		}
		transposeNR(dst[jp*kc:(jp+gemmNR)*kc], tmp[:gemmNR*kc], kc, kc)
	}
}

// transposeNRGo writes columns [from, kc) of the NR x kc matrix src (row
// stride ld) into rows [from, kc) of dst, kc x NR.
func transposeNRGo(dst, src []float32, ld, kc, from int) {
	r := func(j int) []float32 { return src[j*ld : j*ld+kc] }
	t0, t1, t2, t3 := r(0), r(1), r(2), r(3)
	t4, t5, t6, t7 := r(4), r(5), r(6), r(7)
	t8, t9, t10, t11 := r(8), r(9), r(10), r(11)
	t12, t13, t14, t15 := r(12), r(13), r(14), r(15)
	for p := from; p < kc; p++ {
		d := (*[gemmNR]float32)(dst[p*gemmNR:])
		d[0], d[1], d[2], d[3] = t0[p], t1[p], t2[p], t3[p]
		d[4], d[5], d[6], d[7] = t4[p], t5[p], t6[p], t7[p]
		d[8], d[9], d[10], d[11] = t8[p], t9[p], t10[p], t11[p]
		d[12], d[13], d[14], d[15] = t12[p], t13[p], t14[p], t15[p]
	}
}

// flipSource is the weight of the input-gradient convolution for stride 1:
// A(c, (o, ki, kj)) = w[o, c, KH-1-ki, KW-1-kj] for one group's weights
// w [K/G, C/G, KH, KW].
type flipSource struct {
	w      []float32
	cg, kk int // C/G and KH*KW
}

func (s flipSource) packA(dst []float32, i0, mc, p0, kc int) {
	for ip := 0; ip < mc; ip += gemmMR {
		rows := min(gemmMR, mc-ip)
		panel := dst[ip*kc : (ip+gemmMR)*kc]
		if rows < gemmMR {
			clear(panel)
		}
		for p := 0; p < kc; p++ {
			q := p0 + p
			o, t := q/s.kk, q%s.kk
			base := o*s.cg*s.kk + s.kk - 1 - t
			d := panel[p*gemmMR : p*gemmMR+rows]
			for i := range d {
				d[i] = s.w[base+(i0+ip+i)*s.kk]
			}
		}
	}
}

// prepackGroups returns the m x k left operand of every group (src gives
// it), packed once in advance when that pays: when it is small (packed
// buffers up to 4 MB are kept for reuse) or used by several images. A
// large operand used once (a wide layer on one image) is packed block by
// block as usual, which needs no big buffer. Call release when the products
// are done.
func prepackGroups(g ConvGeom, m, k int, src func(gr int) aSource) (ops []aSource, release func()) {
	ops = make([]aSource, g.Groups)
	mPad := (m + gemmMR - 1) / gemmMR * gemmMR
	if mPad*k > 1<<20 && g.N < 4 {
		for gr := range ops {
			ops[gr] = src(gr)
		}
		return ops, func() {}
	}
	bufs := make([]*[]float32, g.Groups)
	for gr := range ops {
		bufs[gr] = getCol(mPad * k)
		ops[gr] = prepackA(src(gr), m, k, *bufs[gr])
	}
	return ops, func() {
		for _, b := range bufs {
			putCol(b)
		}
	}
}

// imageSplit decides how the images of a batch share the threads: with
// enough images (a multiple of the thread count, or many) each goroutine
// takes whole images with single-threaded GEMMs, so no operand is packed
// twice; otherwise images run one after the other, each GEMM on all
// threads. It returns the number of image workers (1: one after the
// other).
func imageSplit(g ConvGeom) (workers int) {
	t := Threads()
	if t > 1 && g.N >= t && (g.N%t == 0 || g.N >= 4*t) {
		return t
	}
	return 1
}

// forImages calls f(worker, n, threads) for every image n, as imageSplit
// decides; worker is the index of the goroutine, in [0, imageSplit(g)).
func forImages(g ConvGeom, f func(worker, n, threads int)) {
	workers := imageSplit(g)
	if workers == 1 {
		for n := 0; n < g.N; n++ {
			f(0, n, Threads())
		}
		return
	}
	parallelDynamic(g.N, 1, workers, func(w, n, _ int) { f(w, n, 1) })
}

// conv2dFused is Conv2d on the Go GEMM.
func conv2dFused(g ConvGeom, y, x, w []float32) {
	P, R, kg, cg := g.outPix(), g.rows(), g.kg(), g.cg()
	packs, release := prepackGroups(g, kg, R, func(gr int) aSource {
		return matA{a: w[gr*kg*R:], ld: R, alpha: 1}
	})
	defer release()
	forImages(g, func(_, n, t int) {
		for gr := 0; gr < g.Groups; gr++ {
			xg := x[(n*g.C+gr*cg)*g.inPlane():][:cg*g.inPlane()]
			var B bSource = colSource{g: g, x: xg}
			if g.direct() {
				B = matB{b: xg, ld: P}
			}
			gemmThreads(t, kg, P, R, packs[gr], B, 0, y[(n*g.K+gr*kg)*P:], P)
		}
	})
}

// conv2dBackwardFilterFused is Conv2dBackwardFilter on the Go GEMM. With
// images in parallel, each worker sums its images into its own buffer and
// the buffers are added at the end.
func conv2dBackwardFilterFused(g ConvGeom, dw, x, dy []float32) {
	P, R, kg, cg := g.outPix(), g.rows(), g.kg(), g.cg()
	dw = dw[:g.K*R]
	if g.N == 0 {
		clear(dw)
		return
	}
	// image adds (beta 1) or writes (beta 0) the gradient of image n to out.
	image := func(n, t int, out []float32, beta float32) {
		for gr := 0; gr < g.Groups; gr++ {
			xg := x[(n*g.C+gr*cg)*g.inPlane():][:cg*g.inPlane()]
			A := matA{a: dy[(n*g.K+gr*kg)*P:], ld: P, alpha: 1}
			var B bSource = colTSource{g: g, x: xg}
			if g.direct() {
				B = matB{b: xg, ld: P, trans: true}
			}
			gemmThreads(t, kg, R, P, A, B, beta, out[gr*kg*R:], R)
		}
	}
	workers := imageSplit(g)
	if workers == 1 {
		for n := 0; n < g.N; n++ {
			image(n, Threads(), dw, min(float32(n), 1))
		}
		return
	}
	// The images are split into fixed ranges, each summed into its own
	// buffer (range 0 into dw), and the buffers are added in range order:
	// the sum does not depend on which goroutine ran which range, so runs
	// are reproducible bit for bit (resumed training relies on it).
	per := (g.N + workers - 1) / workers
	ranges := (g.N + per - 1) / per
	parts := make([]*[]float32, ranges)
	parallelDynamic(ranges, 1, workers, func(_, r, _ int) {
		out := dw
		if r > 0 {
			parts[r] = getCol(len(dw))
			out = *parts[r]
		}
		for n := r * per; n < min((r+1)*per, g.N); n++ {
			image(n, 1, out, min(float32(n-r*per), 1))
		}
	})
	for _, p := range parts[1:] {
		for i, v := range *p {
			dw[i] += v
		}
		putCol(p)
	}
}

// flippedGeom is the geometry of the stride-1 convolution of dy that gives
// dx, and whether it exists (stride 1 and padding <= dil*(k-1)).
func (g ConvGeom) flippedGeom() (ConvGeom, bool) {
	ph, pw := g.DilH*(g.KH-1)-g.PadH, g.DilW*(g.KW-1)-g.PadW
	if g.StrideH != 1 || g.StrideW != 1 || ph < 0 || pw < 0 {
		return ConvGeom{}, false
	}
	return ConvGeom{N: g.N, C: g.K, H: g.OH, W: g.OW, K: g.C, KH: g.KH, KW: g.KW, OH: g.H, OW: g.W,
		StrideH: 1, StrideW: 1, PadH: ph, PadW: pw, DilH: g.DilH, DilW: g.DilW, Groups: g.Groups}, true
}

// conv2dBackwardDataFused is Conv2dBackwardData on the Go GEMM.
func conv2dBackwardDataFused(g ConvGeom, dx, dy, w []float32) {
	P, R, kg, cg := g.outPix(), g.rows(), g.kg(), g.cg()
	HW := g.inPlane()
	wT := func(gr int) aSource { return matA{a: w[gr*kg*R:], ld: R, trans: true, alpha: 1} }
	if g.direct() {
		packs, release := prepackGroups(g, cg, kg, wT)
		defer release()
		forImages(g, func(_, n, t int) {
			for gr := 0; gr < g.Groups; gr++ {
				gemmThreads(t, cg, P, kg, packs[gr], matB{b: dy[(n*g.K+gr*kg)*P:], ld: P}, 0, dx[(n*g.C+gr*cg)*HW:], HW)
			}
		})
		return
	}
	if f, ok := g.flippedGeom(); ok {
		kk := g.KH * g.KW
		packs, release := prepackGroups(g, cg, kg*kk, func(gr int) aSource {
			return flipSource{w: w[gr*kg*R:][:kg*R], cg: cg, kk: kk}
		})
		defer release()
		forImages(g, func(_, n, t int) {
			for gr := 0; gr < g.Groups; gr++ {
				B := colSource{g: f, x: dy[(n*g.K+gr*kg)*P:][:kg*P]}
				gemmThreads(t, cg, HW, kg*kk, packs[gr], B, 0, dx[(n*g.C+gr*cg)*HW:], HW)
			}
		})
		return
	}
	// Strided: dcol chunk = w[g]^T * dy chunk, then col2im (on the image's
	// goroutine when images run in parallel).
	clear(dx[:g.N*g.C*HW])
	chunk := g.colChunk()
	packs, release := prepackGroups(g, R, kg, wT)
	defer release()
	forImages(g, func(_, n, t int) {
		ws := getCol(R * chunk)
		defer putCol(ws)
		for gr := 0; gr < g.Groups; gr++ {
			dxg := dx[(n*g.C+gr*cg)*HW:]
			dyg := dy[(n*g.K+gr*kg)*P:]
			for p0 := 0; p0 < P; p0 += chunk {
				p1 := min(p0+chunk, P)
				col := (*ws)[:R*(p1-p0)]
				gemmThreads(t, R, p1-p0, kg, packs[gr], matB{b: dyg[p0:], ld: P}, 0, col, p1-p0)
				if t == 1 {
					col2imSerial(g, col, p0, p1, dxg)
				} else {
					col2im(g, col, p0, p1, dxg)
				}
			}
		}
	})
}
