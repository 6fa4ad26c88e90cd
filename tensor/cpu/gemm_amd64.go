package cpu

// The AVX2/FMA micro-kernel of the Go GEMM (gemm_amd64.s), used when the
// CPU and the OS support it; otherwise the portable kernel runs.

//go:noescape
func kern6x16(k int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func packRowsNR(dst *float32, stride int, src *float32, chunks int)

// copyPanels copies chunks runs of NR floats from src to dst, dst advancing
// by stride per run (one row of a B block into its panels).
func copyPanels(dst []float32, stride int, src []float32, chunks int) {
	if chunks == 0 {
		return
	}
	_ = dst[(chunks-1)*stride+gemmNR-1]
	_ = src[chunks*gemmNR-1]
	if haveAsmKernel {
		packRowsNR(&dst[0], stride, &src[0], chunks)
		return
	}
	copyPanelsGo(dst, stride, src, chunks)
}

//go:noescape
func transpose16x8(dst, src *float32, ld, blocks int)

// transposeNR writes the NR x kc matrix src (row stride ld >= kc) into
// dst as kc x NR.
func transposeNR(dst, src []float32, ld, kc int) {
	_ = src[(gemmNR-1)*ld+kc-1]
	_ = dst[kc*gemmNR-1]
	done := 0
	if haveAsmKernel && kc >= 8 {
		done = kc &^ 7
		transpose16x8(&dst[0], &src[0], ld, done/8)
	}
	transposeNRGo(dst, src, ld, kc, done)
}

func cpuidex(leaf, sub uint32) (a, b, c, d uint32)
func xgetbv0() (eax uint32)

// hasAVX2FMA reports CPU support for AVX2 and FMA3 and OS support for the
// YMM state.
func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuidex(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c1, _ := cpuidex(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xgetbv0()&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, b7, _, _ := cpuidex(7, 0)
	return b7&(1<<5) != 0 // AVX2
}

var haveAsmKernel = hasAVX2FMA()

//go:noescape
func kern4x16(k int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func kern2x16(k int, a, b, c *float32, ldc int, acc bool)

// microKernel runs the 6x16 tile product on full tiles.
func microKernel(k int, a, b []float32, c []float32, ldc int, acc bool) {
	if haveAsmKernel {
		// The assembly trusts its pointers: check the extents once per tile.
		_, _, _ = a[k*gemmMR-1], b[k*gemmNR-1], c[(gemmMR-1)*ldc+gemmNR-1]
		kern6x16(k, &a[0], &b[0], &c[0], ldc, acc)
		return
	}
	microKernelGo(k, a, b, c, ldc, acc)
}

// edgeKernel computes the first rows (< MR) rows of a full-width tile
// directly into C when a kernel for that height exists, and reports whether
// it did.
func edgeKernel(rows, k int, a, b []float32, c []float32, ldc int, acc bool) bool {
	if !haveAsmKernel || k == 0 {
		return false
	}
	_, _ = a[k*gemmMR-1], b[k*gemmNR-1]
	switch rows {
	case 4:
		_ = c[3*ldc+gemmNR-1]
		kern4x16(k, &a[0], &b[0], &c[0], ldc, acc)
	case 2:
		_ = c[ldc+gemmNR-1]
		kern2x16(k, &a[0], &b[0], &c[0], ldc, acc)
	default:
		return false
	}
	return true
}

// setAsmKernel turns the assembly kernels on or off (tests exercise the
// portable kernel with it) and returns the previous setting; it cannot turn
// them on where the CPU lacks AVX2/FMA.
func setAsmKernel(on bool) bool {
	prev := haveAsmKernel
	haveAsmKernel = on && hasAVX2FMA()
	return prev
}
