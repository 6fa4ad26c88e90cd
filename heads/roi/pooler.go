package roi

// Multi-scale RoI pooling (torchvision's MultiScaleRoIAlign, detectron2's
// ROIPooler). Shapes: N images, image i has Ri boxes, R = sum Ri; L pooled
// pyramid levels with C channels each (level l at scale 2^-(kMin+l));
// S x S output bins.
//
//	features  L x [N, C, Hl, Wl]       (e.g. FPN "0".."3" = P2..P5)
//	boxes     N x [Ri*4]               XYXY, input-image pixels
//	levels    [R]                      l = clamp(floor(k0 + log2(sqrt(area)/s0) + eps), kMin, kMax) - kMin
//	output    [R, C, S, S]             RoIAlign of each box on its level, image-major box order

import (
	"fmt"
	"math"
	"slices"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// LevelRule is the arithmetic of the FPN level assignment (Eqn. 1 of the
// FPN paper), which the two libraries write differently.
type LevelRule int

const (
	// TorchvisionLevels: floor(k0 + log2(sqrt(area)/s0) + 1e-6), in float32
	// (torchvision's LevelMapper).
	TorchvisionLevels LevelRule = iota
	// Detectron2Levels: floor(k0 + log2(sqrt(area)/s0 + 1e-8)), in float32
	// (detectron2's assign_boxes_to_levels).
	Detectron2Levels
)

func (r LevelRule) String() string {
	switch r {
	case TorchvisionLevels:
		return "torchvision"
	case Detectron2Levels:
		return "detectron2"
	}
	return fmt.Sprintf("LevelRule(%d)", int(r))
}

// PoolerConfig configures a MultiScaleRoIAlign. TorchvisionPooler and Detectron2Pooler
// are the presets.
type PoolerConfig struct {
	// FeatmapNames names the feature maps to pool from (Select picks them
	// out of the backbone's outputs, keeping the backbone's order, which
	// must be finest first).
	FeatmapNames []string
	// OutputSize is the side of the pooled grid (7 for boxes, 14 for
	// masks).
	OutputSize int
	// SamplingRatio and Aligned are RoIAlign's (tensor.RoIAlignOpts).
	SamplingRatio int
	Aligned       bool
	// CanonicalScale (s0, 224) and CanonicalLevel (k0, 4): a box of
	// sqrt(area) = s0 pools from level k0.
	CanonicalScale float64
	CanonicalLevel int
	LevelRule      LevelRule
	// Strides, when set, fixes the stride of each pooled map (scale
	// 1/stride), as detectron2 does. When nil, scales are inferred as
	// torchvision does: 2^round(log2(feature height / largest image
	// height)).
	Strides []int
}

// TorchvisionPooler is torchvision's MultiScaleRoIAlign(["0", "1", "2",
// "3"], outputSize, 2): legacy (unaligned) RoIAlign with 2x2 samples per
// bin, scales inferred from the sizes.
func TorchvisionPooler(outputSize int) PoolerConfig {
	return PoolerConfig{
		FeatmapNames:   []string{"0", "1", "2", "3"},
		OutputSize:     outputSize,
		SamplingRatio:  2,
		Aligned:        false,
		CanonicalScale: 224,
		CanonicalLevel: 4,
		LevelRule:      TorchvisionLevels,
	}
}

// Detectron2Pooler is detectron2's ROIPooler for the R50-FPN box and mask
// heads (POOLER_TYPE ROIAlignV2, POOLER_SAMPLING_RATIO 0): aligned
// RoIAlign with adaptive sampling on P2..P5 at strides 4..32.
func Detectron2Pooler(outputSize int) PoolerConfig {
	return PoolerConfig{
		FeatmapNames:   []string{"0", "1", "2", "3"},
		OutputSize:     outputSize,
		SamplingRatio:  0,
		Aligned:        true,
		CanonicalScale: 224,
		CanonicalLevel: 4,
		LevelRule:      Detectron2Levels,
		Strides:        []int{4, 8, 16, 32},
	}
}

// MultiScaleRoIAlign pools a fixed-size feature patch for every box from
// the pyramid level the box's size selects; it implements Pooler. It has no
// parameters and is safe for concurrent use.
type MultiScaleRoIAlign struct {
	cfg PoolerConfig
}

var _ Pooler = (*MultiScaleRoIAlign)(nil)

// NewMultiScaleRoIAlign checks cfg and returns its pooler.
func NewMultiScaleRoIAlign(cfg PoolerConfig) (*MultiScaleRoIAlign, error) {
	switch {
	case len(cfg.FeatmapNames) == 0:
		return nil, fmt.Errorf("roi: pooler without feature maps")
	case cfg.OutputSize < 1:
		return nil, fmt.Errorf("roi: pooler output size %d must be >= 1", cfg.OutputSize)
	case !(cfg.CanonicalScale > 0) || math.IsInf(cfg.CanonicalScale, 0):
		return nil, fmt.Errorf("roi: pooler canonical scale %v must be positive", cfg.CanonicalScale)
	case cfg.LevelRule != TorchvisionLevels && cfg.LevelRule != Detectron2Levels:
		return nil, fmt.Errorf("roi: unknown pooler level rule %v", cfg.LevelRule)
	}
	for i, n := range cfg.FeatmapNames {
		if slices.Contains(cfg.FeatmapNames[:i], n) {
			return nil, fmt.Errorf("roi: pooler feature map %q named twice", n)
		}
	}
	if cfg.Strides != nil {
		if len(cfg.Strides) != len(cfg.FeatmapNames) {
			return nil, fmt.Errorf("roi: pooler has %d strides for %d feature maps", len(cfg.Strides), len(cfg.FeatmapNames))
		}
		for i, s := range cfg.Strides {
			if s < 1 || s&(s-1) != 0 || (i > 0 && s != 2*cfg.Strides[i-1]) {
				return nil, fmt.Errorf("roi: pooler strides %v must be powers of two, doubling from level to level", cfg.Strides)
			}
		}
	}
	cfg.FeatmapNames = slices.Clone(cfg.FeatmapNames)
	cfg.Strides = slices.Clone(cfg.Strides)
	return &MultiScaleRoIAlign{cfg: cfg}, nil
}

// Config returns the pooler's configuration.
func (p *MultiScaleRoIAlign) Config() PoolerConfig { return p.cfg }

// OutputSize is the side S of the pooled grid.
func (p *MultiScaleRoIAlign) OutputSize() int { return p.cfg.OutputSize }

// Select returns the maps among features (named names, as the backbone
// returns them) that the pooler reads, in the backbone's order: the
// features argument of Pool. It panics when one is missing.
func (p *MultiScaleRoIAlign) Select(features []*tensor.Tensor, names []string) []*tensor.Tensor {
	if len(features) != len(names) {
		panic(fmt.Sprintf("roi.MultiScaleRoIAlign.Select: %d feature maps with %d names", len(features), len(names)))
	}
	var maps []*tensor.Tensor
	for i, n := range names {
		if slices.Contains(p.cfg.FeatmapNames, n) {
			maps = append(maps, features[i])
		}
	}
	if len(maps) != len(p.cfg.FeatmapNames) {
		panic(fmt.Sprintf("roi.MultiScaleRoIAlign.Select: feature maps %v lack some of %v", names, p.cfg.FeatmapNames))
	}
	return maps
}

// Pool pools every box of every image: maps are the levels the pooler
// reads (Select; finest first), boxes[i] the boxes of image i (XYXY,
// input-image pixels, treated as constants), sizes[i] the size of image i
// before padding (used to infer the scales when Strides is nil; may be nil
// otherwise). The result is [R, C, S, S], boxes in image order, and
// gradients flow to the maps. Scales are inferred on every call
// (torchvision infers them on the first call and keeps them; the results
// agree whenever the batch layout does not change).
func (p *MultiScaleRoIAlign) Pool(maps []*tensor.Tensor, boxes []box.Boxes, sizes []rpn.ImageSize) *tensor.Tensor {
	if len(maps) != len(p.cfg.FeatmapNames) {
		panic(fmt.Sprintf("roi.MultiScaleRoIAlign: %d feature maps for a pooler over %v", len(maps), p.cfg.FeatmapNames))
	}
	n, c := maps[0].Dim(0), maps[0].Dim(1)
	for l, m := range maps {
		if m.Dims() != 4 || m.Dim(0) != n || m.Dim(1) != c {
			panic(fmt.Sprintf("roi.MultiScaleRoIAlign: feature map %d has shape %v, map 0 %v", l, m.Shape(), maps[0].Shape()))
		}
	}
	if len(boxes) != n {
		panic(fmt.Sprintf("roi.MultiScaleRoIAlign: %d box lists for %d images", len(boxes), n))
	}
	scales, kMin, kMax := p.scales(maps, sizes)
	rois := RoIRows(boxes)
	total := len(rois) / 5
	opts := func(l int) tensor.RoIAlignOpts {
		return tensor.RoIAlignOpts{
			OutputSize:    [2]int{p.cfg.OutputSize, p.cfg.OutputSize},
			SpatialScale:  scales[l],
			SamplingRatio: p.cfg.SamplingRatio,
			Aligned:       p.cfg.Aligned,
		}
	}
	if len(maps) == 1 || total == 0 {
		return tensor.RoIAlign(maps[0], tensor.FromSlice(rois, total, 5), opts(0))
	}

	levels := p.AssignLevels(boxes, kMin, kMax)
	var (
		outs  []*tensor.Tensor
		order = make([]int32, 0, total) // box index of each row of the concatenation
	)
	for l := range maps {
		var sub []float32
		start := len(order)
		for i, lv := range levels {
			if int(lv) == l {
				sub = append(sub, rois[5*i:5*i+5]...)
				order = append(order, int32(i))
			}
		}
		if k := len(order) - start; k > 0 {
			outs = append(outs, tensor.RoIAlign(maps[l], tensor.FromSlice(sub, k, 5), opts(l)))
		}
	}
	out := outs[0]
	if len(outs) > 1 {
		out = tensor.Concat(0, outs...)
	}
	// Rows are grouped by level; put them back in box order unless they
	// already are.
	inv := make([]int32, total)
	sorted := true
	for row, i := range order {
		inv[i] = int32(row)
		sorted = sorted && int(i) == row
	}
	if sorted {
		return out
	}
	return tensor.IndexSelect(out, 0, inv)
}

// scales returns the spatial scale of each map and the pyramid levels kMin
// and kMax of the first and last map (scale 2^-k).
func (p *MultiScaleRoIAlign) scales(maps []*tensor.Tensor, sizes []rpn.ImageSize) (scales []float32, kMin, kMax int) {
	scales = make([]float32, len(maps))
	ks := make([]int, len(maps))
	if p.cfg.Strides != nil {
		for l, s := range p.cfg.Strides {
			scales[l] = 1 / float32(s)
			ks[l] = int(math.Round(math.Log2(float64(s))))
		}
	} else {
		if len(sizes) == 0 {
			panic("roi.MultiScaleRoIAlign: no image sizes to infer the scales from")
		}
		// torchvision's _setup_scales: the largest height over the batch;
		// each map's scale is its height ratio rounded to a power of two
		// (in float32, half to even).
		maxH := 0
		for _, s := range sizes {
			maxH = max(maxH, s.H)
		}
		for l, m := range maps {
			approx := float32(float64(m.Dim(2)) / float64(maxH))
			e := math.RoundToEven(float64(float32(math.Log2(float64(approx)))))
			scales[l] = float32(math.Pow(2, e))
			ks[l] = int(-e)
		}
	}
	kMin, kMax = ks[0], ks[len(ks)-1]
	for l := range ks {
		if ks[l] != kMin+l {
			panic(fmt.Sprintf("roi.MultiScaleRoIAlign: feature maps at scales %v are not consecutive pyramid levels", scales))
		}
	}
	return scales, kMin, kMax
}

// AssignLevels returns, for every box (image-major), the index of the map
// it pools from, in [0, kMax-kMin]: the FPN rule clamp(floor(k0 +
// log2(sqrt(area)/s0) + eps), kMin, kMax) - kMin with the configured
// arithmetic. Empty and NaN boxes go to the finest level.
func (p *MultiScaleRoIAlign) AssignLevels(boxes []box.Boxes, kMin, kMax int) []int32 {
	var out []int32
	s0 := float32(p.cfg.CanonicalScale)
	k0 := float32(p.cfg.CanonicalLevel)
	for _, bs := range boxes {
		for _, a := range bs.Area() {
			s := float32(math.Sqrt(float64(a)))
			var k float32
			if p.cfg.LevelRule == Detectron2Levels {
				k = k0 + log2f(s/s0+1e-8)
			} else {
				k = k0 + log2f(s/s0) + 1e-6
			}
			k = float32(math.Floor(float64(k)))
			lv := kMin // NaN falls through to the finest level
			if k >= float32(kMax) {
				lv = kMax
			} else if k > float32(kMin) {
				lv = int(k)
			}
			out = append(out, int32(lv-kMin))
		}
	}
	return out
}

func log2f(x float32) float32 { return float32(math.Log2(float64(x))) }

// RoIRows converts per-image boxes to RoIAlign's rows (batch index, x1,
// y1, x2, y2), image-major: torchvision's convert_boxes_to_roi_format.
func RoIRows(boxes []box.Boxes) []float32 {
	n := 0
	for _, b := range boxes {
		n += b.Len()
	}
	rows := make([]float32, 0, 5*n)
	for i, b := range boxes {
		for j := 0; j < len(b); j += 4 {
			rows = append(rows, float32(i), b[j], b[j+1], b[j+2], b[j+3])
		}
	}
	return rows
}
