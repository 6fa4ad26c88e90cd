//go:build !amd64

package optim

// Without assembly every loop runs the Go code of kernels_simd.go.
var useAVX2 = false

func sumAXPBY8(gs, p *float32, n int, c, w float32) float64 { panic("optim: no assembly on this arch") }
func sumSq8(gs *float32, n int) float64                     { panic("optim: no assembly on this arch") }
func gcSum8(gs, p *float32, n int, c, w float32, flags int) float64 {
	panic("optim: no assembly on this arch")
}
func sgdMomentum8(p, gs, a *float32, n int, k *sgdConsts) { panic("optim: no assembly on this arch") }
func adam8(p, gs, m, v *float32, n int, k *adamConsts)    { panic("optim: no assembly on this arch") }
func stream8(p, gs, a *float32, n int)                    { panic("optim: no assembly on this arch") }
func sgdGCRows8(p, gs, a *float32, rows, m int, k *sgdConsts, flags int) {
	panic("optim: no assembly on this arch")
}
func adamUpd8(p, gs, m, v, out *float32, n int, k *adamConsts) {
	panic("optim: no assembly on this arch")
}
func subShift8(p, u *float32, n int, mu float32) { panic("optim: no assembly on this arch") }
func adamGCRows8(p, gs, m, v *float32, rows, width int, k *adamConsts, flags int) {
	panic("optim: no assembly on this arch")
}
