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

// Each window is clipped to the image (padding is -inf and never wins;
// every window keeps at least one pixel because padding is at most half the
// kernel). The forward pass takes the maximum with the builtin max, which
// compiles without branches (comparisons on random data mispredict about
// half the time) and propagates NaN as PyTorch does. The backward pass
// recomputes each maximum and routes the gradient to its first occurrence
// in row-major window order (the last NaN if any), PyTorch's argmax.

// MaxPool2d computes y, overwriting it.
func MaxPool2d(g PoolGeom, y, x []float32) {
	g.Validate("cpu.MaxPool2d")
	checkLen("cpu.MaxPool2d", "x", x, g.N*g.C*g.H*g.W)
	checkLen("cpu.MaxPool2d", "y", y, g.N*g.C*g.OH*g.OW)
	in, out := g.H*g.W, g.OH*g.OW
	Parallel(g.N*g.C, max(1, 1<<12/out), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			poolPlane(&g, x[p*in:(p+1)*in], y[p*out:(p+1)*out], nil, nil)
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
			dp := dx[p*in : (p+1)*in]
			clear(dp)
			poolPlane(&g, x[p*in:(p+1)*in], nil, dy[p*out:(p+1)*out], dp)
		}
	})
}

// poolPlane pools one plane: with y set it writes the maxima; with dy and
// dx set it adds each dy value to its window's argmax in dx.
func poolPlane(g *PoolGeom, plane, y, dy, dx []float32) {
	H, W, OW := g.H, g.W, g.OW
	for oh := 0; oh < g.OH; oh++ {
		h0 := oh*g.StrideH - g.PadH
		h1 := min(h0+g.KH, H)
		h0 = max(h0, 0)
		for ow := 0; ow < OW; ow++ {
			w0 := ow*g.StrideW - g.PadW
			w1 := min(w0+g.KW, W)
			w0 = max(w0, 0)
			m := float32(math.Inf(-1))
			for h := h0; h < h1; h++ {
				for _, v := range plane[h*W+w0 : h*W+w1] {
					m = max(m, v)
				}
			}
			if y != nil {
				y[oh*OW+ow] = m
				continue
			}
			at := h0*W + w0
			if m != m { // PyTorch takes every NaN it meets: the last one wins
				for h := h0; h < h1; h++ {
					for w, v := range plane[h*W+w0 : h*W+w1] {
						if v != v {
							at = h*W + w0 + w
						}
					}
				}
			} else {
			find:
				for h := h0; h < h1; h++ {
					for w, v := range plane[h*W+w0 : h*W+w1] {
						if v == m {
							at = h*W + w0 + w
							break find
						}
					}
				}
			}
			dx[at] += dy[oh*OW+ow]
		}
	}
}
