package cpu

// Declarations of the AVX2 loops in elementwise_amd64.s. Each processes n
// values, n a multiple of 8 (16 for the sums); the wrappers in vec.go run
// the remainder and the portable fallback.

//go:noescape
func reluAVX(dst, src *float32, n int)

//go:noescape
func reluGradAVX(dx, y, dy *float32, n int)

//go:noescape
func addVVAVX(dst, a, b *float32, n int)

//go:noescape
func subVVAVX(dst, a, b *float32, n int)

//go:noescape
func mulVVAVX(dst, a, b *float32, n int)

//go:noescape
func divVVAVX(dst, a, b *float32, n int)

//go:noescape
func addVSAVX(dst, a *float32, n int, v float32)

//go:noescape
func subVSAVX(dst, a *float32, n int, v float32)

//go:noescape
func mulVSAVX(dst, a *float32, n int, v float32)

//go:noescape
func divVSAVX(dst, a *float32, n int, v float32)

//go:noescape
func addSVAVX(dst *float32, v float32, b *float32, n int)

//go:noescape
func subSVAVX(dst *float32, v float32, b *float32, n int)

//go:noescape
func mulSVAVX(dst *float32, v float32, b *float32, n int)

//go:noescape
func divSVAVX(dst *float32, v float32, b *float32, n int)

//go:noescape
func scaleShiftAVX(dst, src *float32, n int, scale, shift float32)

//go:noescape
func bnDxAVX(dx, dy, x *float32, n int, k, a, mu, b float32)

//go:noescape
func sumAVX(x *float32, n int) float64

//go:noescape
func sumSqDevAVX(x *float32, n int, mu float64) float64

//go:noescape
func sumDyDevAVX(dy, x *float32, n int, mu float64) (sumDy, sumDyDev float64)

// haveAsmElem says whether the AVX2 elementwise loops run (AVX2 and FMA, as
// for the GEMM kernels).
var haveAsmElem = hasAVX2FMA()

// setAsmElem turns the AVX2 elementwise loops on or off (tests compare them
// with the portable loops) and returns the previous setting.
func setAsmElem(on bool) bool {
	prev := haveAsmElem
	haveAsmElem = on && hasAVX2FMA()
	return prev
}
