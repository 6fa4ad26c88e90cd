package optim

//go:noescape
func cpuid(eax, ecx uint32) (a, b, c, d uint32)

//go:noescape
func xgetbv0() uint32

//go:noescape
func sumAXPBY8(gs, p *float32, n int, c, w float32) float64

//go:noescape
func gcSum8(gs, p *float32, n int, c, w float32, flags int) float64

//go:noescape
func sumSq8(gs *float32, n int) float64

//go:noescape
func sgdMomentum8(p, gs, a *float32, n int, k *sgdConsts)

//go:noescape
func adam8(p, gs, m, v *float32, n int, k *adamConsts)

// useAVX2 selects the assembly loops; tests turn it off to compare.
var useAVX2 = detectAVX2()

func detectAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if c&osxsave == 0 || c&avx == 0 {
		return false
	}
	if xgetbv0()&6 != 6 { // the OS saves XMM and YMM state
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}

//go:noescape
func stream8(p, gs, a *float32, n int)

//go:noescape
func sgdGCRows8(p, gs, a *float32, rows, m int, k *sgdConsts, flags int)

//go:noescape
func adamUpd8(p, gs, m, v, out *float32, n int, k *adamConsts)

//go:noescape
func subShift8(p, u *float32, n int, mu float32)

//go:noescape
func adamGCRows8(p, gs, m, v *float32, rows, width int, k *adamConsts, flags int)
