//go:build !amd64

package cpu

// No assembly elementwise loops on this architecture: vec.go runs its
// portable loops. The functions below are never called.

const haveAsmElem = false

func setAsmElem(on bool) bool { return false }

func noAsm() { panic("cpu: assembly elementwise loop called without assembly support") }

func reluAVX(dst, src *float32, n int)                             { noAsm() }
func reluGradAVX(dx, y, dy *float32, n int)                        { noAsm() }
func addVVAVX(dst, a, b *float32, n int)                           { noAsm() }
func subVVAVX(dst, a, b *float32, n int)                           { noAsm() }
func mulVVAVX(dst, a, b *float32, n int)                           { noAsm() }
func divVVAVX(dst, a, b *float32, n int)                           { noAsm() }
func addVSAVX(dst, a *float32, n int, v float32)                   { noAsm() }
func subVSAVX(dst, a *float32, n int, v float32)                   { noAsm() }
func mulVSAVX(dst, a *float32, n int, v float32)                   { noAsm() }
func divVSAVX(dst, a *float32, n int, v float32)                   { noAsm() }
func addSVAVX(dst *float32, v float32, b *float32, n int)          { noAsm() }
func subSVAVX(dst *float32, v float32, b *float32, n int)          { noAsm() }
func mulSVAVX(dst *float32, v float32, b *float32, n int)          { noAsm() }
func divSVAVX(dst *float32, v float32, b *float32, n int)          { noAsm() }
func scaleShiftAVX(dst, src *float32, n int, scale, shift float32) { noAsm() }
func bnDxAVX(dx, dy, x *float32, n int, k, a, mu, b float32)       { noAsm() }
func sumAVX(x *float32, n int) float64                             { noAsm(); return 0 }
func sumSqDevAVX(x *float32, n int, mu float64) float64            { noAsm(); return 0 }
func sumDyDevAVX(dy, x *float32, n int, mu float64) (float64, float64) {
	noAsm()
	return 0, 0
}
