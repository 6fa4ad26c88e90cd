package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the direct float64 definition of the convolution and its
// gradients: y = conv(x, w); dx, dw are the gradients for output gradient dy.
func naiveConv(g ConvGeom, x, w, dy []float32) (y, dx, dw []float64) {
	cg, kg := g.C/g.Groups, g.K/g.Groups
	y = make([]float64, g.N*g.K*g.OH*g.OW)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for n := 0; n < g.N; n++ {
		for k := 0; k < g.K; k++ {
			gr := k / kg
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					yi := ((n*g.K+k)*g.OH+oh)*g.OW + ow
					s := 0.0
					for c := 0; c < cg; c++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								ih := oh*g.StrideH - g.PadH + i*g.DilH
								iw := ow*g.StrideW - g.PadW + j*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								xi := ((n*g.C+gr*cg+c)*g.H+ih)*g.W + iw
								wi := ((k*cg+c)*g.KH+i)*g.KW + j
								s += float64(x[xi]) * float64(w[wi])
								dx[xi] += float64(dy[yi]) * float64(w[wi])
								dw[wi] += float64(dy[yi]) * float64(x[xi])
							}
						}
					}
					y[yi] = s
				}
			}
		}
	}
	return y, dx, dw
}

func geom(n, c, h, w, k, kh, kw, s, p, d, groups int) ConvGeom {
	return ConvGeom{N: n, C: c, H: h, W: w, K: k, KH: kh, KW: kw,
		OH: OutSize(h, kh, s, p, d), OW: OutSize(w, kw, s, p, d),
		StrideH: s, StrideW: s, PadH: p, PadW: p, DilH: d, DilW: d, Groups: groups}
}

var convCases = []ConvGeom{
	geom(2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1),
	geom(1, 4, 9, 8, 6, 3, 3, 2, 1, 1, 2),
	geom(2, 2, 11, 10, 3, 3, 2, 1, 2, 2, 1),
	geom(1, 8, 5, 5, 8, 1, 1, 1, 0, 1, 1),     // direct 1x1
	geom(3, 6, 6, 7, 4, 1, 1, 1, 0, 1, 2),     // direct 1x1, groups
	geom(1, 5, 9, 9, 7, 1, 1, 2, 0, 1, 1),     // strided 1x1
	geom(1, 3, 40, 50, 5, 5, 5, 1, 2, 1, 1),   // several col chunks when the budget is small
	geom(1, 4, 6, 6, 4, 3, 3, 3, 2, 2, 4),     // depthwise, stride 3
	geom(1, 30, 33, 34, 8, 3, 3, 1, 1, 1, 1),  // several KC and NC blocks
	geom(1, 40, 30, 31, 13, 3, 3, 2, 1, 1, 1), // strided, several KC blocks
	geom(1, 256, 2, 2, 512, 3, 3, 1, 1, 1, 1), // weights too big to prepack for one image
	geom(4, 16, 9, 7, 24, 3, 3, 1, 1, 1, 1),   // images in parallel
}

func TestConvKernels(t *testing.T) {
	prev := SetConvFused(true)
	defer SetConvFused(prev)
	t.Run("fused", testConvKernels)
	SetConvFused(false)
	t.Run("im2col", testConvKernels)
	old := colBudget
	colBudget = 1 // 256-pixel chunks that split output rows
	defer func() { colBudget = old }()
	t.Run("im2col-chunked", testConvKernels)
	SetConvFused(true)
	t.Run("fused-chunked", testConvKernels)
}

func testConvKernels(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, g := range convCases {
			t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
				x := randSlice(rng, g.N*g.C*g.H*g.W)
				w := randSlice(rng, g.K*g.C/g.Groups*g.KH*g.KW)
				b := randSlice(rng, g.K)
				dy := randSlice(rng, g.N*g.K*g.OH*g.OW)
				wantY, wantDx, wantDw := naiveConv(g, x, w, dy)
				y := make([]float32, len(wantY))
				Conv2d(g, y, x, w, b)
				for i := range wantY {
					wantY[i] += float64(b[(i/(g.OH*g.OW))%g.K])
				}
				near(t, "y", y, wantY)
				dx := randSlice(rng, len(x)) // must be overwritten
				Conv2dBackwardData(g, dx, dy, w)
				near(t, "dx", dx, wantDx)
				dw := randSlice(rng, len(w))
				Conv2dBackwardFilter(g, dw, x, dy)
				near(t, "dw", dw, wantDw)
				db := make([]float32, g.K)
				ChannelSum(db, dy, g.N, g.K, g.OH*g.OW)
				for k := 0; k < g.K; k++ {
					s := 0.0
					for n := 0; n < g.N; n++ {
						for _, v := range dy[(n*g.K+k)*g.OH*g.OW : (n*g.K+k+1)*g.OH*g.OW] {
							s += float64(v)
						}
					}
					if math.Abs(float64(db[k])-s) > 1e-4*(1+math.Abs(s)) {
						t.Fatalf("db[%d] = %g, want %g", k, db[k], s)
					}
				}
			})
		}
	})
}

func near(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= 1e-4*(1+math.Abs(w))) {
			t.Fatalf("%s[%d] = %g, want %g", name, i, got[i], w)
		}
	}
}

func TestConvGeomValidate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("bad geometry did not panic")
		}
	}()
	g := geom(1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1)
	g.OH++
	Conv2d(g, make([]float32, 200), make([]float32, 75), make([]float32, 108), nil)
}

func TestTransposeNR(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kc := range []int{1, 5, 8, 13, 64, 100, 256} {
		for _, ld := range []int{kc, kc + 3} {
			src := randSlice(rng, (gemmNR-1)*ld+kc)
			dst := make([]float32, kc*gemmNR)
			transposeNR(dst, src, ld, kc)
			for j := 0; j < gemmNR; j++ {
				for p := 0; p < kc; p++ {
					if dst[p*gemmNR+j] != src[j*ld+p] {
						t.Fatalf("kc=%d ld=%d: dst[%d,%d] = %g, want %g", kc, ld, p, j, dst[p*gemmNR+j], src[j*ld+p])
					}
				}
			}
		}
	}
}

func TestStridedRange(t *testing.T) {
	for iw := -9; iw < 12; iw++ {
		for stride := 1; stride < 4; stride++ {
			for n := 0; n < 7; n++ {
				for w := 1; w < 9; w++ {
					j0, j1 := stridedRange(iw, stride, n, w)
					for j := 0; j < n; j++ {
						in := iw+j*stride >= 0 && iw+j*stride < w
						if in != (j >= j0 && j < j1) {
							t.Fatalf("iw=%d stride=%d n=%d w=%d: range [%d,%d) wrong at j=%d", iw, stride, n, w, j0, j1, j)
						}
					}
				}
			}
		}
	}
}

// TestConvRandomGeometries compares both implementations with the direct
// definition on many small random geometries (odd sizes, strides,
// paddings, dilations, groups, output sizes that are not multiples of the
// panel width).
func TestConvRandomGeometries(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	prev := SetConvFused(true)
	defer SetConvFused(prev)
	defer SetThreads(Threads())
	for it := 0; it < 400; it++ {
		SetThreads(1 + rng.IntN(3)) // 1-3 threads: images split over goroutines or not
		groups := 1 + rng.IntN(3)
		g := ConvGeom{N: 1 + rng.IntN(4), C: groups * (1 + rng.IntN(4)), H: 1 + rng.IntN(23), W: 1 + rng.IntN(37),
			K: groups * (1 + rng.IntN(7)), KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4),
			StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3), PadH: rng.IntN(3), PadW: rng.IntN(3),
			DilH: 1 + rng.IntN(2), DilW: 1 + rng.IntN(2), Groups: groups}
		if rng.IntN(3) == 0 && g.DilW*(g.KW-1)%2 == 0 { // "same" width: the shifted im2col rows
			g.StrideH, g.StrideW, g.PadW = 1, 1, g.DilW*(g.KW-1)/2
		}
		g.OH = OutSize(g.H, g.KH, g.StrideH, g.PadH, g.DilH)
		g.OW = OutSize(g.W, g.KW, g.StrideW, g.PadW, g.DilW)
		if g.OH < 1 || g.OW < 1 {
			continue
		}
		if rng.IntN(4) == 0 { // fewer output rows/columns than the formula (transposed convs)
			g.OH = 1 + rng.IntN(g.OH)
			g.OW = 1 + rng.IntN(g.OW)
		}
		x := randSlice(rng, g.N*g.C*g.H*g.W)
		w := randSlice(rng, g.K*g.C/g.Groups*g.KH*g.KW)
		dy := randSlice(rng, g.N*g.K*g.OH*g.OW)
		wantY, wantDx, wantDw := naiveConv(g, x, w, dy)
		for _, fused := range []bool{true, false} {
			SetConvFused(fused)
			y := randSlice(rng, len(wantY))
			Conv2d(g, y, x, w, nil)
			dx := randSlice(rng, len(x))
			Conv2dBackwardData(g, dx, dy, w)
			dw := randSlice(rng, len(w))
			Conv2dBackwardFilter(g, dw, x, dy)
			for _, c := range []struct {
				name string
				got  []float32
				want []float64
			}{{"y", y, wantY}, {"dx", dx, wantDx}, {"dw", dw, wantDw}} {
				for i, wv := range c.want {
					if d := math.Abs(float64(c.got[i]) - wv); !(d <= 1e-4*(1+math.Abs(wv))) {
						t.Fatalf("fused=%v threads=%d %+v: %s[%d] = %g, want %g", fused, Threads(), g, c.name, i, c.got[i], wv)
					}
				}
			}
		}
	}
}

// TestConvDeterministic checks that repeated runs give bit-identical
// results when images run in parallel (resumed training compares runs bit
// for bit).
func TestConvDeterministic(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	rng := rand.New(rand.NewPCG(31, 32))
	g := geom(6, 8, 11, 9, 12, 3, 3, 1, 1, 1, 1)
	x := randSlice(rng, g.N*g.C*g.H*g.W)
	w := randSlice(rng, g.K*g.C*g.KH*g.KW)
	dy := randSlice(rng, g.N*g.K*g.OH*g.OW)
	var first []float32
	for run := 0; run < 8; run++ {
		dw := make([]float32, len(w))
		Conv2dBackwardFilter(g, dw, x, dy)
		if run == 0 {
			first = dw
			continue
		}
		for i := range dw {
			if math.Float32bits(dw[i]) != math.Float32bits(first[i]) {
				t.Fatalf("run %d: dw[%d] = %g, first run %g", run, i, dw[i], first[i])
			}
		}
	}
}
