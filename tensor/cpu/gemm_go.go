package cpu

import (
	"sync"
	"sync/atomic"
)

// The Go GEMM: a BLIS-style blocked and packed product. C is computed in
// blocks of MC x NC; for each KC-deep slice, a block of op(B) is packed
// into NR-wide column panels and a block of op(A) into MR-high row panels,
// so the micro-kernel (gemm_amd64.s on AVX2/FMA machines, microKernelGo
// elsewhere) streams both from cache. Work is split over Threads()
// goroutines by columns of C (or rows when C is tall and narrow), each with
// its own packing buffers.
//
// The operands are sources that pack themselves, so an operand need not
// exist as a matrix: the convolution kernels pack im2col blocks straight
// from the image (conv_fused.go) and never build the col matrix.

const (
	gemmMR = 6    // rows of a micro-tile
	gemmNR = 16   // columns of a micro-tile
	gemmKC = 256  // depth of a packed slice
	gemmMC = 96   // rows of a packed A block (multiple of MR)
	gemmNC = 1024 // columns of a packed B block (multiple of NR)
)

// aSource is the m x k left operand.
type aSource interface {
	// packA writes rows [i0, i0+mc) and columns [p0, p0+kc) into dst as
	// ceil(mc/MR) panels of kc*MR values; panel element (p, i) is at
	// p*MR + i. Rows past mc in the last panel are zero.
	packA(dst []float32, i0, mc, p0, kc int)
}

// bSource is the k x n right operand.
type bSource interface {
	// packB writes rows [p0, p0+kc) and columns [j0, j0+nc) into dst as
	// ceil(nc/NR) panels of kc*NR values; panel element (p, j) is at
	// p*NR + j. Columns past nc in the last panel are zero. tmp is
	// scratch of at least max(NC, NR*KC) floats owned by the caller.
	packB(dst, tmp []float32, p0, kc, j0, nc int)
}

// matA is a row-major matrix as a left operand: op(A) scaled by alpha.
type matA struct {
	a     []float32
	ld    int
	trans bool
	alpha float32
}

func (s matA) packA(dst []float32, i0, mc, p0, kc int) {
	for ip := 0; ip < mc; ip += gemmMR {
		rows := min(gemmMR, mc-ip)
		panel := dst[ip*kc : (ip+gemmMR)*kc]
		if rows < gemmMR {
			clear(panel)
		}
		if s.trans { // element (i, p) at a[p*ld+i]: rows of the panel are contiguous
			for p := 0; p < kc; p++ {
				src := s.a[(p0+p)*s.ld+i0+ip:][:rows]
				d := panel[p*gemmMR:][:rows]
				for i, v := range src {
					d[i] = s.alpha * v
				}
			}
			continue
		}
		if rows == gemmMR && s.alpha == 1 {
			interleave6(panel, s.a[(i0+ip)*s.ld+p0:], s.ld, kc)
			continue
		}
		for i := 0; i < rows; i++ {
			src := s.a[(i0+ip+i)*s.ld+p0:][:kc]
			for p, v := range src {
				panel[p*gemmMR+i] = s.alpha * v
			}
		}
	}
}

// interleave6 packs 6 rows of src (row stride ld) into an MR-wide panel:
// dst[p*6+i] = src[i*ld+p] for p < kc.
func interleave6(dst, src []float32, ld, kc int) {
	r0, r1, r2 := src[:kc], src[ld:ld+kc], src[2*ld:2*ld+kc]
	r3, r4, r5 := src[3*ld:3*ld+kc], src[4*ld:4*ld+kc], src[5*ld:5*ld+kc]
	dst = dst[:kc*gemmMR]
	for p := range r0 {
		d := (*[gemmMR]float32)(dst[p*gemmMR:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// matB is a row-major matrix as a right operand: op(B).
type matB struct {
	b     []float32
	ld    int
	trans bool
}

func (s matB) packB(dst, _ []float32, p0, kc, j0, nc int) {
	if tail := nc % gemmNR; tail != 0 { // zero the padding of the last panel
		clear(dst[(nc-tail)*kc : (nc-tail+gemmNR)*kc])
	}
	if s.trans { // element (p, j) at b[j*ld+p]
		full := nc - nc%gemmNR
		for j := 0; j < full; j += gemmNR {
			transposeNR(dst[j*kc:(j+gemmNR)*kc], s.b[(j0+j)*s.ld+p0:], s.ld, kc)
		}
		for j := full; j < nc; j++ {
			panel := dst[(j/gemmNR)*gemmNR*kc:]
			jj := j % gemmNR
			for p, v := range s.b[(j0+j)*s.ld+p0:][:kc] {
				panel[p*gemmNR+jj] = v
			}
		}
		return
	}
	// Element (p, j) at b[p*ld+j]: read each row once, left to right.
	full := nc - nc%gemmNR
	for p := 0; p < kc; p++ {
		row := s.b[(p0+p)*s.ld+j0:][:nc]
		copyPanels(dst[p*gemmNR:], kc*gemmNR, row, full/gemmNR)
		if full < nc {
			copy(dst[full*kc+p*gemmNR:], row[full:])
		}
	}
}

// gemmBuf holds one goroutine's packing buffers.
type gemmBuf struct {
	a, b, tmp []float32
	tile      [gemmMR * gemmNR]float32
}

// gemmBufs keeps packing buffers for reuse. Unlike a sync.Pool it is not
// emptied by the garbage collector, so steady-state GEMMs allocate nothing
// (about 2.2 MB per concurrently running goroutine, kept for the process).
var gemmBufs = freeList[gemmBuf]{alloc: func() *gemmBuf {
	return &gemmBuf{a: make([]float32, gemmMC*gemmKC), b: make([]float32, gemmKC*gemmNC),
		tmp: make([]float32, max(gemmNC, gemmNR*gemmKC))}
}}

// freeList is a mutex-guarded stack of reusable objects.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	alloc func() *T
}

func (l *freeList[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.items); n > 0 {
		it := l.items[n-1]
		l.items = l.items[:n-1]
		l.mu.Unlock()
		return it
	}
	l.mu.Unlock()
	return l.alloc()
}

func (l *freeList[T]) Put(it *T) {
	l.mu.Lock()
	l.items = append(l.items, it)
	l.mu.Unlock()
}

// sgemmGo is the pure-Go GEMM (no OpenBLAS). Arguments are checked by Sgemm;
// m, n, k > 0.
func sgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(m, n, k, matA{a: a, ld: lda, trans: transA, alpha: alpha}, matB{b: b, ld: ldb, trans: transB}, beta, c, ldc)
}

// gemm computes C = A*B + beta*C for packing sources A (m x k) and B
// (k x n), splitting the work over Threads() goroutines.
func gemm(m, n, k int, A aSource, B bSource, beta float32, c []float32, ldc int) {
	gemmThreads(Threads(), m, n, k, A, B, beta, c, ldc)
}

// gemmThreads is gemm on at most t goroutines.
func gemmThreads(t, m, n, k int, A aSource, B bSource, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if work := m * n * k; work < 1<<16 {
		t = 1
	}
	// Each chunk packs all of the operand along the dimension it does not
	// split: splitting columns repacks A (m*k) per chunk (unless A is
	// packed in advance), splitting rows repacks B (k*n). Columns are split
	// in chunks numerous enough (about four per thread) that a thread
	// slowed by other work on its core leaves its share to the others, and
	// big enough to make repacking A cheap; rows in one chunk per thread.
	tilesM, tilesN := (m+gemmMR-1)/gemmMR, (n+gemmNR-1)/gemmNR
	_, prepacked := A.(*packedA)
	if tilesN >= t && (n >= m || prepacked) || tilesM < t { // split columns
		per := max((tilesN+4*t-1)/(4*t), min(256/gemmNR, (tilesN+t-1)/t)) * gemmNR
		parallelDynamic(n, per, t, func(_, j0, j1 int) { gemmBlock(0, m, j0, j1, k, A, B, beta, c, ldc) })
		return
	}
	per := (tilesM + t - 1) / t * gemmMR
	parallelDynamic(m, per, t, func(_, i0, i1 int) { gemmBlock(i0, i1, 0, n, k, A, B, beta, c, ldc) })
}

// parallelDynamic runs f on the chunks [lo, lo+per) of [0, n) using at
// most workers goroutines (the caller's included), each taking the next
// chunk when it finishes one; f also gets the index of the goroutine
// running it, in [0, workers).
func parallelDynamic(n, per, workers int, f func(w, lo, hi int)) {
	chunks := (n + per - 1) / per
	workers = min(workers, chunks)
	if workers <= 1 {
		for lo := 0; lo < n; lo += per {
			f(0, lo, min(lo+per, n))
		}
		return
	}
	var next atomic.Int64
	run := func(w int) {
		for {
			i := int(next.Add(1)) - 1
			if i >= chunks {
				return
			}
			f(w, i*per, min(i*per+per, n))
		}
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
}

// gemmBlock computes rows [i0, i1) and columns [j0, j1) of C on one
// goroutine.
func gemmBlock(i0, i1, j0, j1, k int, A aSource, B bSource, beta float32, c []float32, ldc int) {
	buf := gemmBufs.Get()
	defer gemmBufs.Put(buf)
	if beta != 0 && beta != 1 {
		for i := i0; i < i1; i++ {
			row := c[i*ldc+j0 : i*ldc+j1]
			for j := range row {
				row[j] *= beta
			}
		}
	}
	kStep := kSlice(k)
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < k; pc += kStep {
			kc := min(kStep, k-pc)
			B.packB(buf.b, buf.tmp, pc, kc, jc, nc)
			acc := pc > 0 || beta != 0
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				ap := buf.a
				if pa, ok := A.(*packedA); ok {
					ap = pa.block(ic, pc, kc)
				} else {
					A.packA(ap, ic, mc, pc, kc)
				}
				macroKernel(mc, nc, kc, ap, buf, c[ic*ldc+jc:], ldc, acc)
			}
		}
	}
}

// kSlice is the depth of the packed slices for a product of depth k: equal
// slices of at most KC, e.g. 576 = 3 x 192 rather than 256 + 256 + 64,
// whose thin last slice would pay a full pass over C.
func kSlice(k int) int {
	nk := (k + gemmKC - 1) / gemmKC
	return (k + nk - 1) / nk
}

// packedA is a left operand packed whole in advance, in the layout the GEMM
// packs blocks in: for each depth slice, all MR-row panels in order. A
// convolution's weight is packed once this way and shared by all images and
// threads (read-only) instead of being repacked for every block.
type packedA struct {
	p    []float32
	mPad int // rows rounded up to a multiple of MR
}

// prepackA packs the m x k operand A whole; buf is reused when large enough.
func prepackA(A aSource, m, k int, buf []float32) *packedA {
	mPad := (m + gemmMR - 1) / gemmMR * gemmMR
	if cap(buf) < mPad*k {
		buf = make([]float32, mPad*k)
	}
	pa := &packedA{p: buf[:mPad*k], mPad: mPad}
	step := kSlice(k)
	for pc := 0; pc < k; pc += step {
		kc := min(step, k-pc)
		A.packA(pa.p[mPad*pc:], 0, m, pc, kc)
	}
	return pa
}

// block is the packed block of rows from ic (a multiple of MR) in the
// slice starting at depth pc, of depth kc.
func (pa *packedA) block(ic, pc, kc int) []float32 {
	return pa.p[pa.mPad*pc+ic*kc:]
}

// packA copies a block out of the packed operand (aSource).
func (pa *packedA) packA(dst []float32, i0, mc, p0, kc int) {
	n := (mc + gemmMR - 1) / gemmMR * gemmMR * kc
	copy(dst[:n], pa.block(i0, p0, kc))
}

// macroKernel multiplies the packed mc x kc and kc x nc blocks into C.
func macroKernel(mc, nc, kc int, pa []float32, buf *gemmBuf, c []float32, ldc int, acc bool) {
	for jr := 0; jr < nc; jr += gemmNR {
		bp := buf.b[jr*kc : (jr+gemmNR)*kc]
		cols := min(gemmNR, nc-jr)
		for ir := 0; ir < mc; ir += gemmMR {
			ap := pa[ir*kc : (ir+gemmMR)*kc]
			rows := min(gemmMR, mc-ir)
			if rows == gemmMR && cols == gemmNR {
				microKernel(kc, ap, bp, c[ir*ldc+jr:], ldc, acc)
				continue
			}
			if cols == gemmNR && edgeKernel(rows, kc, ap, bp, c[ir*ldc+jr:], ldc, acc) {
				continue
			}
			// Edge tile: compute in full into the scratch tile, then
			// store the valid part.
			microKernel(kc, ap, bp, buf.tile[:], gemmNR, false)
			for i := 0; i < rows; i++ {
				dst := c[(ir+i)*ldc+jr:][:cols]
				src := buf.tile[i*gemmNR:][:cols]
				if acc {
					for j, v := range src {
						dst[j] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// microKernelGo is the portable micro-kernel: c[i*ldc+j] (+)= sum_p
// a[p*MR+i] * b[p*NR+j] over a full MR x NR tile.
func microKernelGo(k int, a, b, c []float32, ldc int, acc bool) {
	var t [gemmMR][gemmNR]float32
	for p := 0; p < k; p++ {
		bp := (*[gemmNR]float32)(b[p*gemmNR:])
		ap := (*[gemmMR]float32)(a[p*gemmMR:])
		for i := 0; i < gemmMR; i++ {
			av := ap[i]
			ti := &t[i]
			for j := 0; j < gemmNR; j++ {
				ti[j] += av * bp[j]
			}
		}
	}
	for i := 0; i < gemmMR; i++ {
		dst := c[i*ldc:][:gemmNR]
		if acc {
			for j, v := range t[i] {
				dst[j] += v
			}
		} else {
			copy(dst, t[i][:])
		}
	}
}

func copyPanelsGo(dst []float32, stride int, src []float32, chunks int) {
	for c := 0; c < chunks; c++ {
		*(*[gemmNR]float32)(dst[c*stride:]) = *(*[gemmNR]float32)(src[c*gemmNR:])
	}
}
