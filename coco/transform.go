package coco

import (
	"fmt"
	"math"
)

// TransformConfig is the per-image augmentation: resize the shortest edge
// to one of MinSizes (chosen at random per image when there are several,
// detectron2's ResizeShortestEdge with sample_style "choice") with the long
// side at most MaxSize, flip horizontally with probability FlipProb, and
// normalize pixels.
type TransformConfig struct {
	MinSizes []int
	MaxSize  int
	FlipProb float64
	Pixels   PixelFormat
	// Resize selects detectron2's (default) or torchvision's size rounding
	// and resampling filters.
	Resize ResizeMode
}

// TrainTransform is detectron2's R50-FPN training default: short edge one
// of 640..800 step 32, max 1333, flip 0.5, detectron2 pixels.
func TrainTransform() TransformConfig {
	return TransformConfig{MinSizes: []int{640, 672, 704, 736, 768, 800}, MaxSize: 1333, FlipProb: 0.5, Pixels: Detectron2Pixels()}
}

// TestTransform is detectron2's inference default: short edge 800, max
// 1333, no flip.
func TestTransform() TransformConfig {
	return TransformConfig{MinSizes: []int{800}, MaxSize: 1333, Pixels: Detectron2Pixels()}
}

// TorchvisionTrainTransform is torchvision's reference training setup:
// short edge 800, max 1333, flip 0.5, RGB 0..1 ImageNet pixels, and
// GeneralizedRCNNTransform's resizing.
func TorchvisionTrainTransform() TransformConfig {
	return TransformConfig{MinSizes: []int{800}, MaxSize: 1333, FlipProb: 0.5, Pixels: TorchvisionPixels(), Resize: ResizeTorchvision}
}

// TorchvisionTestTransform is TorchvisionTrainTransform without the flip.
func TorchvisionTestTransform() TransformConfig {
	t := TorchvisionTrainTransform()
	t.FlipProb = 0
	return t
}

// Validate checks the configuration.
func (t TransformConfig) Validate() error {
	if len(t.MinSizes) == 0 {
		return fmt.Errorf("transform: MinSizes is empty")
	}
	for _, s := range t.MinSizes {
		if s <= 0 {
			return fmt.Errorf("transform: min size %d must be > 0", s)
		}
	}
	if t.MaxSize < 0 {
		return fmt.Errorf("transform: max size %d must be >= 0", t.MaxSize)
	}
	if t.Resize > ResizeTorchvision {
		return fmt.Errorf("transform: unknown resize mode %d", t.Resize)
	}
	if !(t.FlipProb >= 0 && t.FlipProb <= 1) {
		return fmt.Errorf("transform: flip probability %v outside [0, 1]", t.FlipProb)
	}
	return t.Pixels.validate()
}

// Geometry records how an image was transformed: resized from
// OrigW x OrigH to W x H, then mirrored left-right if Flip. It maps
// coordinates of the original image to the model input and back.
type Geometry struct {
	OrigW, OrigH int
	W, H         int
	Flip         bool
	// Resize is the rule set used (it decides how bitmap masks resample).
	Resize ResizeMode
}

// ScaleX is W / OrigW.
func (g Geometry) ScaleX() float64 { return float64(g.W) / float64(g.OrigW) }

// ScaleY is H / OrigH.
func (g Geometry) ScaleY() float64 { return float64(g.H) / float64(g.OrigH) }

// Point maps an original-image point to the transformed image.
func (g Geometry) Point(x, y float64) (float64, float64) {
	x *= g.ScaleX()
	y *= g.ScaleY()
	if g.Flip {
		x = float64(g.W) - x
	}
	return x, y
}

// Box maps an original XYXY box to the transformed image, clipped to it.
func (g Geometry) Box(b [4]float64) [4]float64 {
	x0, y0 := g.Point(b[0], b[1])
	x1, y1 := g.Point(b[2], b[3])
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	W, H := float64(g.W), float64(g.H)
	return [4]float64{clamp(x0, 0, W), clamp(y0, 0, H), clamp(x1, 0, W), clamp(y1, 0, H)}
}

// InverseBox maps an XYXY box of the transformed image back to the
// original image (for predictions), clipped to it.
func (g Geometry) InverseBox(b [4]float64) [4]float64 {
	x0, x1 := b[0], b[2]
	if g.Flip {
		x0, x1 = float64(g.W)-x1, float64(g.W)-x0
	}
	sx, sy := g.ScaleX(), g.ScaleY()
	W, H := float64(g.OrigW), float64(g.OrigH)
	return [4]float64{clamp(x0/sx, 0, W), clamp(b[1]/sy, 0, H), clamp(x1/sx, 0, W), clamp(b[3]/sy, 0, H)}
}

// Polygon maps an original [x1, y1, ...] polygon to the transformed image
// (not clipped, as detectron2). Mirroring reverses the orientation but
// keeps the vertex order.
func (g Geometry) Polygon(p []float64) []float64 {
	out := make([]float64, len(p))
	for i := 0; i+1 < len(p); i += 2 {
		out[i], out[i+1] = g.Point(p[i], p[i+1])
	}
	return out
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// XYWHToXYXY converts a COCO box.
func XYWHToXYXY(b []float64) [4]float64 { return [4]float64{b[0], b[1], b[0] + b[2], b[1] + b[3]} }

// XYXYToXYWH converts back to COCO's form.
func XYXYToXYWH(b [4]float64) []float64 { return []float64{b[0], b[1], b[2] - b[0], b[3] - b[1]} }
