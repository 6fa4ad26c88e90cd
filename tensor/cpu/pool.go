package cpu

import (
	"fmt"
	"math"
)

// PoolGeom is the geometry of a 2-D max pooling over x [N, C, H, W] giving
// y [N, C, OH, OW].
type PoolGeom struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	OH, OW           int
}

// Validate panics when the geometry is inconsistent (programmer error).
func (g PoolGeom) Validate(op string) {
	ok := g.N >= 0 && g.C >= 0 && g.KH > 0 && g.KW > 0 && g.StrideH > 0 && g.StrideW > 0 &&
		g.PadH >= 0 && g.PadW >= 0 && 2*g.PadH <= g.KH && 2*g.PadW <= g.KW &&
		g.OH == (g.H+2*g.PadH-g.KH)/g.StrideH+1 && g.OW == (g.W+2*g.PadW-g.KW)/g.StrideW+1 &&
		g.OH > 0 && g.OW > 0
	if !ok {
		panic(fmt.Sprintf("%s: invalid pooling geometry %+v", op, g))
	}
}

// argmax returns the index in the plane of the window maximum for output
// pixel (oh, ow): the first maximum in row-major window order, NaN winning
// (as PyTorch does). Padding counts as -inf, and every window holds at least
// one pixel because padding is at most half the kernel.
func (g PoolGeom) argmax(plane []float32, oh, ow int) int {
	h0, w0 := oh*g.StrideH-g.PadH, ow*g.StrideW-g.PadW
	h1, w1 := min(h0+g.KH, g.H), min(w0+g.KW, g.W)
	h0, w0 = max(h0, 0), max(w0, 0)
	best := float32(math.Inf(-1))
	at := h0*g.W + w0
	for h := h0; h < h1; h++ {
		row := plane[h*g.W : h*g.W+w1]
		for w := w0; w < w1; w++ {
			if v := row[w]; v > best || v != v {
				best, at = v, h*g.W+w
				if v != v {
					return at
				}
			}
		}
	}
	return at
}

// MaxPool2d computes y, overwriting it.
func MaxPool2d(g PoolGeom, y, x []float32) {
	g.Validate("cpu.MaxPool2d")
	checkLen("cpu.MaxPool2d", "x", x, g.N*g.C*g.H*g.W)
	checkLen("cpu.MaxPool2d", "y", y, g.N*g.C*g.OH*g.OW)
	in, out := g.H*g.W, g.OH*g.OW
	Parallel(g.N*g.C, max(1, 1<<12/out), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			plane := x[p*in : (p+1)*in]
			yp := y[p*out : (p+1)*out]
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					yp[oh*g.OW+ow] = plane[g.argmax(plane, oh, ow)]
				}
			}
		}
	})
}

// MaxPool2dBackward computes dx, overwriting it: each output gradient goes
// to its window's maximum (recomputed from x, so no indices are kept).
func MaxPool2dBackward(g PoolGeom, dx, x, dy []float32) {
	g.Validate("cpu.MaxPool2dBackward")
	checkLen("cpu.MaxPool2dBackward", "x", x, g.N*g.C*g.H*g.W)
	checkLen("cpu.MaxPool2dBackward", "dx", dx, g.N*g.C*g.H*g.W)
	checkLen("cpu.MaxPool2dBackward", "dy", dy, g.N*g.C*g.OH*g.OW)
	in, out := g.H*g.W, g.OH*g.OW
	Parallel(g.N*g.C, max(1, 1<<12/out), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			plane := x[p*in : (p+1)*in]
			dp := dx[p*in : (p+1)*in]
			clear(dp)
			gp := dy[p*out : (p+1)*out]
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					dp[g.argmax(plane, oh, ow)] += gp[oh*g.OW+ow]
				}
			}
		}
	})
}
