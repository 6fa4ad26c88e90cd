// Package rpn is the region proposal network: anchors, the RPN head, its
// losses and proposal selection.
package rpn

// Shapes: L feature levels, level l has a Hl x Wl grid; A anchors per grid
// position (sizes x aspect ratios of that level, 3 for the FPN default).
// Anchors of level l are a flat [Hl*Wl*A*4] float32 slice, XYXY in input
// image pixels, ordered position-major (row y, then column x) with the A
// cell anchors of a position contiguous: the layout torchvision's
// AnchorGenerator and detectron2's DefaultAnchorGenerator produce, which is
// also the order of the RPN head's outputs once permuted to (H, W, A).

import (
	"fmt"
	"math"
)

// AnchorStyle selects whose anchor arithmetic to reproduce.
type AnchorStyle int

const (
	// TorchvisionAnchors: cell anchors are (-w/2, -h/2, w/2, h/2) computed
	// in float32 with w = size/sqrt(ratio), h = size*sqrt(ratio), then
	// rounded to integers (half to even, torch.round); ratios outer, sizes
	// inner; anchors centered at multiples of the stride, and the stride of
	// a level is image size // grid size, per axis.
	TorchvisionAnchors AnchorStyle = iota
	// Detectron2Anchors: cell anchors computed in float64 with
	// w = sqrt(size^2/ratio), h = ratio*w and not rounded; sizes outer,
	// ratios inner; the stride of a level is fixed (Strides) and centers are
	// at (i + Offset) * stride.
	Detectron2Anchors
)

func (s AnchorStyle) String() string {
	switch s {
	case TorchvisionAnchors:
		return "torchvision"
	case Detectron2Anchors:
		return "detectron2"
	}
	return fmt.Sprintf("AnchorStyle(%d)", int(s))
}

// AnchorGenerator produces the anchors of every feature level. Create one
// with NewAnchorGenerator or DefaultFPNAnchors; it is safe for concurrent use.
type AnchorGenerator struct {
	style   AnchorStyle
	sizes   [][]float64
	ratios  [][]float64
	strides []int
	offset  float64
	cells   [][]float32 // per level, [A*4]
}

// DefaultFPNSizes and DefaultFPNAspectRatios are the R-CNN FPN defaults of
// both torchvision and detectron2: one size per level P2..P6 and three
// aspect ratios (height/width).
var (
	DefaultFPNSizes        = [][]float64{{32}, {64}, {128}, {256}, {512}}
	DefaultFPNAspectRatios = [][]float64{{0.5, 1, 2}, {0.5, 1, 2}, {0.5, 1, 2}, {0.5, 1, 2}, {0.5, 1, 2}}
	DefaultFPNStrides      = []int{4, 8, 16, 32, 64}
)

// DefaultFPNAnchors returns the generator for a ResNet-FPN detector (levels
// P2..P6, strides 4..64, offset 0 in the detectron2 style as in its R50-FPN
// configs).
func DefaultFPNAnchors(style AnchorStyle) *AnchorGenerator {
	g, err := NewAnchorGenerator(style, DefaultFPNSizes, DefaultFPNAspectRatios, DefaultFPNStrides, 0)
	if err != nil {
		panic("rpn.DefaultFPNAnchors: " + err.Error()) // the defaults are valid
	}
	return g
}

// NewAnchorGenerator returns a generator with sizes[l] (anchor side at
// ratio 1, pixels) and ratios[l] (height/width) for each level l. strides
// and offset (in [0, 1), units of the stride) are used by the detectron2
// style; the torchvision style derives strides from the image size and may
// take nil strides. Errors name the bad setting (they come from
// configuration).
func NewAnchorGenerator(style AnchorStyle, sizes, ratios [][]float64, strides []int, offset float64) (*AnchorGenerator, error) {
	if style != TorchvisionAnchors && style != Detectron2Anchors {
		return nil, fmt.Errorf("rpn: unknown anchor style %v", style)
	}
	if len(sizes) == 0 || len(sizes) != len(ratios) {
		return nil, fmt.Errorf("rpn: anchor sizes for %d levels but aspect ratios for %d", len(sizes), len(ratios))
	}
	if style == Detectron2Anchors {
		if len(strides) != len(sizes) {
			return nil, fmt.Errorf("rpn: %d anchor strides for %d levels", len(strides), len(sizes))
		}
		if !(offset >= 0 && offset < 1) {
			return nil, fmt.Errorf("rpn: anchor offset %v is outside [0, 1)", offset)
		}
	}
	for l := range sizes {
		if len(sizes[l]) == 0 || len(ratios[l]) == 0 {
			return nil, fmt.Errorf("rpn: level %d has no anchor sizes or no aspect ratios", l)
		}
		for _, s := range sizes[l] {
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("rpn: level %d: anchor size %v is not a positive number", l, s)
			}
		}
		for _, r := range ratios[l] {
			if !(r > 0) || math.IsInf(r, 0) {
				return nil, fmt.Errorf("rpn: level %d: aspect ratio %v is not a positive number", l, r)
			}
		}
		if strides != nil && l < len(strides) && strides[l] <= 0 {
			return nil, fmt.Errorf("rpn: level %d: stride %d is not positive", l, strides[l])
		}
	}
	g := &AnchorGenerator{style: style, offset: offset}
	for l := range sizes {
		g.sizes = append(g.sizes, append([]float64(nil), sizes[l]...))
		g.ratios = append(g.ratios, append([]float64(nil), ratios[l]...))
		if style == TorchvisionAnchors {
			g.cells = append(g.cells, torchvisionCell(sizes[l], ratios[l]))
		} else {
			g.cells = append(g.cells, detectron2Cell(sizes[l], ratios[l]))
		}
	}
	g.strides = append([]int(nil), strides...)
	return g, nil
}

// torchvisionCell computes torchvision's generate_anchors in float32.
func torchvisionCell(sizes, ratios []float64) []float32 {
	cell := make([]float32, 0, 4*len(sizes)*len(ratios))
	for _, r := range ratios {
		hr := float32(math.Sqrt(float64(float32(r)))) // correctly rounded, as torch.sqrt
		wr := 1 / hr
		for _, s := range sizes {
			ws, hs := wr*float32(s), hr*float32(s)
			cell = append(cell, round(-ws/2), round(-hs/2), round(ws/2), round(hs/2))
		}
	}
	return cell
}

func round(v float32) float32 { return float32(math.RoundToEven(float64(v))) }

// detectron2Cell computes detectron2's generate_cell_anchors (float64, then
// float32).
func detectron2Cell(sizes, ratios []float64) []float32 {
	cell := make([]float32, 0, 4*len(sizes)*len(ratios))
	for _, s := range sizes {
		area := s * s
		for _, r := range ratios {
			w := math.Sqrt(area / r)
			h := r * w
			cell = append(cell, float32(-w/2), float32(-h/2), float32(w/2), float32(h/2))
		}
	}
	return cell
}

// Style returns the generator's style.
func (g *AnchorGenerator) Style() AnchorStyle { return g.style }

// NumLevels returns the number of feature levels L.
func (g *AnchorGenerator) NumLevels() int { return len(g.cells) }

// NumAnchorsPerLocation returns A for each level.
func (g *AnchorGenerator) NumAnchorsPerLocation() []int {
	out := make([]int, len(g.cells))
	for l, c := range g.cells {
		out[l] = len(c) / 4
	}
	return out
}

// CellAnchors returns a copy of level l's anchors centered at (0, 0), [A*4].
func (g *AnchorGenerator) CellAnchors(level int) []float32 {
	return append([]float32(nil), g.cells[level]...)
}

// Grid is the height and width of one feature map.
type Grid struct{ H, W int }

// Anchors returns the anchors of every level, [Hl*Wl*A*4] each, for feature
// maps of the given grid sizes computed from an input of imageH x imageW
// pixels. In the torchvision style imageH, imageW are the padded batch
// size (ImageList.tensors' size) and set the strides; the detectron2 style
// ignores them. A wrong number of grids or an empty grid is a programmer
// error and panics.
func (g *AnchorGenerator) Anchors(imageH, imageW int, grids []Grid) [][]float32 {
	if len(grids) != len(g.cells) {
		panic(fmt.Sprintf("rpn.AnchorGenerator.Anchors: %d feature maps for %d anchor levels", len(grids), len(g.cells)))
	}
	out := make([][]float32, len(grids))
	for l, gr := range grids {
		if gr.H <= 0 || gr.W <= 0 {
			panic(fmt.Sprintf("rpn.AnchorGenerator.Anchors: level %d grid %dx%d is empty", l, gr.H, gr.W))
		}
		if g.style == TorchvisionAnchors {
			out[l] = g.levelTorchvision(l, gr, imageH/gr.H, imageW/gr.W)
		} else {
			out[l] = g.levelDetectron2(l, gr, g.strides[l])
		}
	}
	return out
}

// levelTorchvision shifts the cell anchors by integer multiples of the
// strides (an int64 shift added to a float32 anchor in torch).
func (g *AnchorGenerator) levelTorchvision(l int, gr Grid, strideH, strideW int) []float32 {
	cell := g.cells[l]
	out := make([]float32, 0, gr.H*gr.W*len(cell))
	for y := range gr.H {
		sy := float32(y * strideH)
		for x := range gr.W {
			sx := float32(x * strideW)
			for a := 0; a < len(cell); a += 4 {
				out = append(out, sx+cell[a], sy+cell[a+1], sx+cell[a+2], sy+cell[a+3])
			}
		}
	}
	return out
}

// levelDetectron2 shifts the cell anchors to (i + offset) * stride, the
// shifts computed in float64 and rounded to float32 as torch.arange does.
func (g *AnchorGenerator) levelDetectron2(l int, gr Grid, stride int) []float32 {
	cell := g.cells[l]
	start, step := g.offset*float64(stride), float64(stride)
	out := make([]float32, 0, gr.H*gr.W*len(cell))
	for y := range gr.H {
		sy := float32(start + float64(y)*step)
		for x := range gr.W {
			sx := float32(start + float64(x)*step)
			for a := 0; a < len(cell); a += 4 {
				out = append(out, sx+cell[a], sy+cell[a+1], sx+cell[a+2], sy+cell[a+3])
			}
		}
	}
	return out
}
