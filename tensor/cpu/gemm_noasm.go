//go:build !amd64

package cpu

const haveAsmKernel = false

// microKernel runs the 6x16 tile product on full tiles (portable Go).
func microKernel(k int, a, b []float32, c []float32, ldc int, acc bool) {
	microKernelGo(k, a, b, c, ldc, acc)
}

// copyPanels copies chunks runs of NR floats from src to dst, dst advancing
// by stride per run (one row of a B block into its panels).
func copyPanels(dst []float32, stride int, src []float32, chunks int) {
	copyPanelsGo(dst, stride, src, chunks)
}

// transposeNR writes the NR x kc matrix src (row stride ld >= kc) into
// dst as kc x NR.
func transposeNR(dst, src []float32, ld, kc int) { transposeNRGo(dst, src, ld, kc, 0) }

// edgeKernel: no special edge kernels in portable Go.
func edgeKernel(rows, k int, a, b []float32, c []float32, ldc int, acc bool) bool { return false }

// setAsmKernel: no assembly kernels on this architecture.
func setAsmKernel(on bool) bool { return false }
