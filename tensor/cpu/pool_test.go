package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naivePool is PyTorch's max pooling loop: -inf padding, a value replaces
// the running maximum when greater or NaN, so the first maximum (or the
// last NaN) of each window takes the gradient.
func naivePool(g PoolGeom, x, dy []float32) (y, dx []float32) {
	y = make([]float32, g.N*g.C*g.OH*g.OW)
	dx = make([]float32, len(x))
	for p := 0; p < g.N*g.C; p++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				best, at := float32(math.Inf(-1)), -1
				for i := 0; i < g.KH; i++ {
					for j := 0; j < g.KW; j++ {
						h, w := oh*g.StrideH-g.PadH+i, ow*g.StrideW-g.PadW+j
						if h < 0 || h >= g.H || w < 0 || w >= g.W {
							continue
						}
						v := x[(p*g.H+h)*g.W+w]
						if at < 0 || v > best || v != v {
							best, at = v, (p*g.H+h)*g.W+w
						}
					}
				}
				o := (p*g.OH+oh)*g.OW + ow
				y[o] = best
				dx[at] += dy[o]
			}
		}
	}
	return y, dx
}

func TestMaxPoolRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for it := 0; it < 300; it++ {
		g := PoolGeom{N: 1 + rng.IntN(2), C: 1 + rng.IntN(3), H: 1 + rng.IntN(12), W: 1 + rng.IntN(12),
			KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3)}
		g.PadH, g.PadW = rng.IntN(g.KH/2+1), rng.IntN(g.KW/2+1)
		if g.H+2*g.PadH < g.KH || g.W+2*g.PadW < g.KW {
			continue
		}
		g.OH, g.OW = (g.H+2*g.PadH-g.KH)/g.StrideH+1, (g.W+2*g.PadW-g.KW)/g.StrideW+1
		x := make([]float32, g.N*g.C*g.H*g.W)
		for i := range x {
			x[i] = float32(rng.IntN(5)) - 2 // many ties
			if rng.IntN(50) == 0 {
				x[i] = float32(math.NaN())
			}
		}
		dy := randSlice(rng, g.N*g.C*g.OH*g.OW)
		wantY, wantDx := naivePool(g, x, dy)
		y := make([]float32, len(wantY))
		MaxPool2d(g, y, x)
		dx := randSlice(rng, len(x))
		MaxPool2dBackward(g, dx, x, dy)
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) && !(y[i] != y[i] && wantY[i] != wantY[i]) {
				t.Fatalf("%+v: y[%d] = %g, want %g", g, i, y[i], wantY[i])
			}
		}
		for i := range dx {
			if dx[i] != wantDx[i] {
				t.Fatalf("%+v: dx[%d] = %g, want %g", g, i, dx[i], wantDx[i])
			}
		}
	}
}

func TestUpsampleNearestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for it := 0; it < 200; it++ {
		planes, h, w := 1+rng.IntN(3), 1+rng.IntN(9), 1+rng.IntN(9)
		oh, ow := 1+rng.IntN(25), 1+rng.IntN(25)
		x := randSlice(rng, planes*h*w)
		dy := randSlice(rng, planes*oh*ow)
		y := make([]float32, planes*oh*ow)
		UpsampleNearest(y, x, planes, h, w, oh, ow)
		dx := randSlice(rng, len(x))
		UpsampleNearestBackward(dx, dy, planes, h, w, oh, ow)
		want := make([]float64, len(x))
		for p := 0; p < planes; p++ {
			for i := 0; i < oh; i++ {
				// torch: src = min(floor(dst * (in/out)), in-1) in float32
				r := min(int(math.Floor(float64(float32(i)*(float32(h)/float32(oh))))), h-1)
				if oh == h {
					r = i
				} else if oh == 2*h {
					r = i / 2
				}
				for j := 0; j < ow; j++ {
					c := min(int(math.Floor(float64(float32(j)*(float32(w)/float32(ow))))), w-1)
					if ow == w {
						c = j
					} else if ow == 2*w {
						c = j / 2
					}
					if got := y[(p*oh+i)*ow+j]; got != x[(p*h+r)*w+c] {
						t.Fatalf("%dx%d -> %dx%d: y[%d,%d] = %g, want x[%d,%d]", h, w, oh, ow, i, j, got, r, c)
					}
					want[(p*h+r)*w+c] += float64(dy[(p*oh+i)*ow+j])
				}
			}
		}
		for i := range dx {
			if math.Abs(float64(dx[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
				t.Fatalf("%dx%d -> %dx%d: dx[%d] = %g, want %g", h, w, oh, ow, i, dx[i], want[i])
			}
		}
	}
}
