package cpu

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// Convolution kernels: im2col + GEMM.
//
// Shapes: x [N, C, H, W], w [K, C/G, KH, KW], y [N, K, OH, OW], with G
// groups. For each image and group the convolution is the matrix product
//
//	y[n, g] (K/G x OH*OW) = w[g] (K/G x C/G*KH*KW) * col (C/G*KH*KW x OH*OW)
//
// where col (im2col) holds the input pixels each output pixel sees. col is
// never built whole: it is built for a chunk of output pixels at a time
// (colChunk), which bounds the workspace to about colBudget bytes whatever
// the image size. A 1x1 convolution with stride 1 and no padding needs no
// col at all: x[n, g] is already the matrix.

// Two implementations share the entry points below: im2col chunks times
// Sgemm (OpenBLAS when loaded), and the Go GEMM with im2col fused into its
// packing (conv_fused.go), which needs no col buffer. ConvFused says which
// runs; env GCDET_CONV=im2col or =fused overrides the default.

var convFused atomic.Bool

func init() {
	switch strings.ToLower(os.Getenv("GCDET_CONV")) {
	case "im2col":
		convFused.Store(false)
	case "fused":
		convFused.Store(true)
	default:
		convFused.Store(haveAsmKernel)
	}
}

// ConvFused reports whether convolutions run fused on the Go GEMM (true)
// or as im2col + Sgemm (false).
func ConvFused() bool { return convFused.Load() }

// SetConvFused selects the convolution implementation and returns the
// previous choice (tests and benchmarks exercise both).
func SetConvFused(on bool) bool { return convFused.Swap(on) }

// ConvGeom is the geometry of a 2-D convolution.
type ConvGeom struct {
	N, C, H, W       int // input
	K, KH, KW        int // output channels and kernel size
	OH, OW           int // output size
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// OutSize is the output length of a convolution along one axis.
func OutSize(in, k, stride, pad, dil int) int {
	return (in+2*pad-dil*(k-1)-1)/stride + 1
}

// Validate panics when the geometry is inconsistent (programmer error).
// OH and OW may be below OutSize: the kernels then compute the leading
// output rows and columns only (a transposed convolution with
// output_padding >= stride needs this).
func (g ConvGeom) Validate(op string) {
	ok := g.N >= 0 && g.C > 0 && g.H >= 0 && g.W >= 0 && g.K > 0 && g.KH > 0 && g.KW > 0 &&
		g.StrideH > 0 && g.StrideW > 0 && g.PadH >= 0 && g.PadW >= 0 && g.DilH > 0 && g.DilW > 0 &&
		g.Groups > 0 && g.C%g.Groups == 0 && g.K%g.Groups == 0 &&
		g.OH <= OutSize(g.H, g.KH, g.StrideH, g.PadH, g.DilH) && g.OW <= OutSize(g.W, g.KW, g.StrideW, g.PadW, g.DilW) &&
		g.OH > 0 && g.OW > 0
	if !ok {
		panic(fmt.Sprintf("%s: invalid convolution geometry %+v", op, g))
	}
}

func (g ConvGeom) cg() int      { return g.C / g.Groups }       // input channels per group
func (g ConvGeom) kg() int      { return g.K / g.Groups }       // output channels per group
func (g ConvGeom) rows() int    { return g.cg() * g.KH * g.KW } // rows of col
func (g ConvGeom) inPlane() int { return g.H * g.W }
func (g ConvGeom) outPix() int  { return g.OH * g.OW }

// direct reports whether x is its own col matrix (1x1, stride 1, no padding).
func (g ConvGeom) direct() bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && g.OH == g.H && g.OW == g.W
}

// colBudget bounds the bytes of one col chunk (a variable so tests can
// force many chunks).
var colBudget = 1 << 21

// colChunk is the number of output pixels per col chunk.
func (g ConvGeom) colChunk() int {
	c := colBudget / 4 / g.rows()
	if c < 256 {
		c = 256
	}
	if c > g.outPix() {
		c = g.outPix()
	}
	return c
}

// colBufs keeps workspaces for reuse: col chunks (at most colBudget bytes),
// packed weights, per-worker weight-gradient sums.
var colBufs = freeList[[]float32]{alloc: func() *[]float32 { return new([]float32) }}

// getCol returns a workspace of at least n floats.
func getCol(n int) *[]float32 {
	p := colBufs.Get()
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// putCol returns a workspace for reuse; ones over 4 MB (packed weights of
// the widest layers) are left to the collector rather than kept forever.
func putCol(p *[]float32) {
	if cap(*p) <= 1<<20 {
		colBufs.Put(p)
	}
}

// im2col fills col (rows() x (p1-p0), row-major) with the input pixels seen
// by output pixels [p0, p1) of one image and group; xg is that image's
// group's channels [C/G, H, W]. Out-of-image taps are 0.
func im2col(g ConvGeom, xg []float32, p0, p1 int, col []float32) {
	cols := p1 - p0
	kk := g.KH * g.KW
	Parallel(g.rows(), 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			c, t := r/kk, r%kk
			ki, kj := t/g.KW, t%g.KW
			im2colRow(g, xg[c*g.inPlane():(c+1)*g.inPlane()], ki, kj, p0, p1, col[r*cols:(r+1)*cols])
		}
	})
}

// im2colRow fills one row of col: tap (ki, kj) of plane xc for output
// pixels [p0, p1).
func im2colRow(g ConvGeom, xc []float32, ki, kj, p0, p1 int, dst []float32) {
	if g.shifted() {
		a, b, shift, offW := g.shiftRange(ki, kj, p0, p1)
		clear(dst[:a-p0])
		if a < b {
			copy(dst[a-p0:b-p0], xc[a+shift:b+shift])
		}
		clear(dst[b-p0 : p1-p0])
		g.shiftBorders(offW, a, b, func(p int) { dst[p-p0] = 0 })
		return
	}
	oh, ow := p0/g.OW, p0%g.OW
	offH := ki*g.DilH - g.PadH
	offW := kj*g.DilW - g.PadW
	for p := p0; p < p1; {
		n := g.OW - ow // pixels left in this output row
		if n > p1-p {
			n = p1 - p
		}
		seg := dst[p-p0 : p-p0+n]
		ih := oh*g.StrideH + offH
		if ih < 0 || ih >= g.H {
			clear(seg)
		} else {
			src := xc[ih*g.W : (ih+1)*g.W]
			iw := ow*g.StrideW + offW
			if g.StrideW == 1 {
				// Valid columns: 0 <= iw+j < W.
				j0, j1 := 0, n
				if iw < 0 {
					j0 = min(-iw, n)
				}
				if iw+n > g.W {
					j1 = max(g.W-iw, j0)
				}
				clear(seg[:j0])
				if j0 < j1 { // else the whole segment is padding
					copy(seg[j0:j1], src[iw+j0:iw+j1])
				}
				clear(seg[j1:])
			} else {
				j0, j1 := stridedRange(iw, g.StrideW, n, g.W)
				clear(seg[:j0])
				c := iw + j0*g.StrideW
				for j := j0; j < j1; j++ {
					seg[j] = src[c]
					c += g.StrideW
				}
				clear(seg[j1:])
			}
		}
		p += n
		oh, ow = oh+1, 0
	}
}

// shifted reports whether the im2col row of a tap is a shifted copy of the
// input plane (stride 1 and output width = input width, as for "same"
// convolutions): each row is then filled with one copy and a few fix-ups
// instead of one copy per output row, which matters for narrow maps.
func (g ConvGeom) shifted() bool {
	return g.StrideH == 1 && g.StrideW == 1 && g.OW == g.W
}

// shiftRange returns, for tap (ki, kj) and output pixels [p0, p1) of a
// shifted geometry, the pixels [a, b) whose source index p+shift lies in
// the plane (the rest are padding), the shift and the column offset.
// Inside [a, b) the border columns of each output row (ow+offW outside
// [0, W)) read a neighbouring row and must be zeroed (shiftBorders).
func (g ConvGeom) shiftRange(ki, kj, p0, p1 int) (a, b, shift, offW int) {
	offH := ki*g.DilH - g.PadH
	offW = kj*g.DilW - g.PadW
	shift = offH*g.W + offW
	if offW <= -g.W || offW >= g.W { // every column is padding
		return p0, p0, shift, offW
	}
	a, b = max(p0, -shift), min(p1, g.H*g.W-shift)
	if a >= b {
		return p0, p0, shift, offW
	}
	return a, b, shift, offW
}

// shiftBorders calls zero(p) for the pixels p in [a, b) whose column
// ow+offW falls outside the image.
func (g ConvGeom) shiftBorders(offW, a, b int, zero func(p int)) {
	if offW == 0 || a >= b {
		return
	}
	c0, c1 := 0, -offW // columns [c0, c1) of each output row are invalid
	if offW > 0 {
		c0, c1 = g.W-offW, g.W
	}
	for row := a / g.W * g.W; row < b; row += g.W {
		for p := max(row+c0, a); p < min(row+c1, b); p++ {
			zero(p)
		}
	}
}

// stridedRange returns the j in [0, n) with 0 <= iw + j*stride < w, as
// [j0, j1) (j0 == j1 when none).
func stridedRange(iw, stride, n, w int) (j0, j1 int) {
	if iw < 0 {
		j0 = (-iw + stride - 1) / stride
	}
	if iw < w {
		j1 = (w-1-iw)/stride + 1
	}
	j0, j1 = min(j0, n), min(j1, n)
	return j0, max(j1, j0)
}

// col2im adds col (rows() x (p1-p0)) back into the image: the transpose of
// im2col. dxg is one image's group's gradient [C/G, H, W].
func col2im(g ConvGeom, col []float32, p0, p1 int, dxg []float32) {
	// Rows of one channel touch only that channel's plane: split by channel.
	Parallel(g.cg(), 1, func(lo, hi int) {
		col2imChannels(g, col, p0, p1, dxg, lo, hi)
	})
}

// col2imSerial is col2im on the calling goroutine.
func col2imSerial(g ConvGeom, col []float32, p0, p1 int, dxg []float32) {
	col2imChannels(g, col, p0, p1, dxg, 0, g.cg())
}

// col2imChannels is col2im for channels [c0, c1) of the group.
func col2imChannels(g ConvGeom, col []float32, p0, p1 int, dxg []float32, c0, c1 int) {
	cols, kk := p1-p0, g.KH*g.KW
	for c := c0; c < c1; c++ {
		plane := dxg[c*g.inPlane() : (c+1)*g.inPlane()]
		for t := 0; t < kk; t++ {
			r := c*kk + t
			col2imRow(g, plane, t/g.KW, t%g.KW, p0, p1, col[r*cols:(r+1)*cols])
		}
	}
}

func col2imRow(g ConvGeom, dc []float32, ki, kj, p0, p1 int, src []float32) {
	oh, ow := p0/g.OW, p0%g.OW
	offH := ki*g.DilH - g.PadH
	offW := kj*g.DilW - g.PadW
	for p := p0; p < p1; {
		n := g.OW - ow
		if n > p1-p {
			n = p1 - p
		}
		seg := src[p-p0 : p-p0+n]
		ih := oh*g.StrideH + offH
		if ih >= 0 && ih < g.H {
			dst := dc[ih*g.W : (ih+1)*g.W]
			iw := ow*g.StrideW + offW
			if g.StrideW == 1 {
				j0, j1 := 0, n
				if iw < 0 {
					j0 = min(-iw, n)
				}
				if iw+n > g.W {
					j1 = max(g.W-iw, j0)
				}
				if j0 < j1 { // else the whole segment is padding
					d := dst[iw+j0 : iw+j1]
					for j, v := range seg[j0:j1] {
						d[j] += v
					}
				}
			} else {
				j0, j1 := stridedRange(iw, g.StrideW, n, g.W)
				c := iw + j0*g.StrideW
				for j := j0; j < j1; j++ {
					dst[c] += seg[j]
					c += g.StrideW
				}
			}
		}
		p += n
		oh, ow = oh+1, 0
	}
}

// Conv2d computes y = conv(x, w) + b (b may be nil), overwriting y.
func Conv2d(g ConvGeom, y, x, w, b []float32) {
	g.Validate("cpu.Conv2d")
	checkLen("cpu.Conv2d", "x", x, g.N*g.C*g.inPlane())
	checkLen("cpu.Conv2d", "w", w, g.K*g.rows())
	checkLen("cpu.Conv2d", "y", y, g.N*g.K*g.outPix())
	if b != nil {
		checkLen("cpu.Conv2d", "b", b, g.K)
	}
	if ConvFused() {
		conv2dFused(g, y, x, w)
	} else {
		conv2dIm2col(g, y, x, w)
	}
	if b != nil {
		AddChannelBias(y, b, g.N, g.K, g.outPix())
	}
}

// conv2dIm2col is Conv2d as im2col chunks times Sgemm.
func conv2dIm2col(g ConvGeom, y, x, w []float32) {
	P, R, kg := g.outPix(), g.rows(), g.kg()
	var ws *[]float32
	chunk := P
	if !g.direct() {
		chunk = g.colChunk()
		ws = getCol(R * chunk)
		defer putCol(ws)
	}
	for n := 0; n < g.N; n++ {
		for gr := 0; gr < g.Groups; gr++ {
			xg := x[(n*g.C+gr*g.cg())*g.inPlane():]
			yg := y[(n*g.K+gr*kg)*P:]
			wg := w[gr*kg*R:]
			for p0 := 0; p0 < P; p0 += chunk {
				p1 := min(p0+chunk, P)
				if g.direct() {
					Sgemm(false, false, kg, p1-p0, R, 1, wg, R, xg[p0:], P, 0, yg[p0:], P)
					continue
				}
				col := (*ws)[:R*(p1-p0)]
				im2col(g, xg, p0, p1, col)
				Sgemm(false, false, kg, p1-p0, R, 1, wg, R, col, p1-p0, 0, yg[p0:], P)
			}
		}
	}
}

// Conv2dBackwardData computes dx, the gradient of the convolution with
// respect to x given dy, overwriting dx.
func Conv2dBackwardData(g ConvGeom, dx, dy, w []float32) {
	g.Validate("cpu.Conv2dBackwardData")
	checkLen("cpu.Conv2dBackwardData", "dx", dx, g.N*g.C*g.inPlane())
	checkLen("cpu.Conv2dBackwardData", "w", w, g.K*g.rows())
	checkLen("cpu.Conv2dBackwardData", "dy", dy, g.N*g.K*g.outPix())
	if ConvFused() {
		conv2dBackwardDataFused(g, dx, dy, w)
		return
	}
	P, R, kg := g.outPix(), g.rows(), g.kg()
	if g.direct() {
		for n := 0; n < g.N; n++ {
			for gr := 0; gr < g.Groups; gr++ {
				// dx[n, g] (C/G x P) = w[g]^T (C/G x K/G) * dy[n, g] (K/G x P)
				Sgemm(true, false, R, P, kg, 1, w[gr*kg*R:], R, dy[(n*g.K+gr*kg)*P:], P, 0, dx[(n*g.C+gr*g.cg())*P:], P)
			}
		}
		return
	}
	clear(dx[:g.N*g.C*g.inPlane()])
	chunk := g.colChunk()
	ws := getCol(R * chunk)
	defer putCol(ws)
	for n := 0; n < g.N; n++ {
		for gr := 0; gr < g.Groups; gr++ {
			dxg := dx[(n*g.C+gr*g.cg())*g.inPlane():]
			dyg := dy[(n*g.K+gr*kg)*P:]
			wg := w[gr*kg*R:]
			for p0 := 0; p0 < P; p0 += chunk {
				p1 := min(p0+chunk, P)
				col := (*ws)[:R*(p1-p0)]
				Sgemm(true, false, R, p1-p0, kg, 1, wg, R, dyg[p0:], P, 0, col, p1-p0)
				col2im(g, col, p0, p1, dxg)
			}
		}
	}
}

// Conv2dBackwardFilter computes dw, the gradient of the convolution with
// respect to w given x and dy, overwriting dw.
func Conv2dBackwardFilter(g ConvGeom, dw, x, dy []float32) {
	g.Validate("cpu.Conv2dBackwardFilter")
	checkLen("cpu.Conv2dBackwardFilter", "x", x, g.N*g.C*g.inPlane())
	checkLen("cpu.Conv2dBackwardFilter", "dw", dw, g.K*g.rows())
	checkLen("cpu.Conv2dBackwardFilter", "dy", dy, g.N*g.K*g.outPix())
	if ConvFused() {
		conv2dBackwardFilterFused(g, dw, x, dy)
		return
	}
	P, R, kg := g.outPix(), g.rows(), g.kg()
	var ws *[]float32
	chunk := P
	if !g.direct() {
		chunk = g.colChunk()
		ws = getCol(R * chunk)
		defer putCol(ws)
	}
	for gr := 0; gr < g.Groups; gr++ {
		dwg := dw[gr*kg*R:]
		beta := float32(0)
		for n := 0; n < g.N; n++ {
			xg := x[(n*g.C+gr*g.cg())*g.inPlane():]
			dyg := dy[(n*g.K+gr*kg)*P:]
			for p0 := 0; p0 < P; p0 += chunk {
				p1 := min(p0+chunk, P)
				// dw[g] (K/G x R) += dy[n, g][:, p0:p1] (K/G x cols) * col^T (cols x R)
				if g.direct() {
					Sgemm(false, true, kg, R, p1-p0, 1, dyg[p0:], P, xg[p0:], P, beta, dwg, R)
				} else {
					col := (*ws)[:R*(p1-p0)]
					im2col(g, xg, p0, p1, col)
					Sgemm(false, true, kg, R, p1-p0, 1, dyg[p0:], P, col, p1-p0, beta, dwg, R)
				}
				beta = 1
			}
		}
		if beta == 0 { // N == 0
			clear(dwg[:kg*R])
		}
	}
}

// AddChannelBias adds b[c] to every element of channel c of y [n, c, hw].
func AddChannelBias(y, b []float32, n, c, hw int) {
	checkLen("cpu.AddChannelBias", "y", y, n*c*hw)
	checkLen("cpu.AddChannelBias", "b", b, c)
	Parallel(n*c, max(1, 1<<14/max(hw, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := b[i%c]
			row := y[i*hw : (i+1)*hw]
			for j := range row {
				row[j] += v
			}
		}
	})
}

// ChannelSum sets db[c] to the sum of channel c of dy [n, c, hw] (the bias
// gradient), accumulated in float64.
func ChannelSum(db, dy []float32, n, c, hw int) {
	checkLen("cpu.ChannelSum", "dy", dy, n*c*hw)
	checkLen("cpu.ChannelSum", "db", db, c)
	Parallel(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			s := 0.0
			for i := 0; i < n; i++ {
				var part float32
				for _, v := range dy[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					part += v
				}
				s += float64(part)
			}
			db[ch] = float32(s)
		}
	})
}

// checkLen panics when a buffer is shorter than the geometry needs.
func checkLen(op, name string, s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("%s: %s has %d elements, needs %d", op, name, len(s), n))
	}
}
