package rpn

import (
	"fmt"
	"math"
)

// Normalization says how the RPN losses are averaged.
type Normalization int

const (
	// NormalizeBySampleTarget divides both summed losses by
	// BatchSizePerImage * N, the number of anchors the sampler aims for,
	// whether or not that many were available (detectron2).
	NormalizeBySampleTarget Normalization = iota
	// NormalizeBySampled averages the objectness loss over the anchors
	// actually sampled and divides the summed box loss by that same count
	// (torchvision).
	NormalizeBySampled
)

func (n Normalization) String() string {
	switch n {
	case NormalizeBySampleTarget:
		return "sample-target"
	case NormalizeBySampled:
		return "sampled"
	}
	return fmt.Sprintf("Normalization(%d)", int(n))
}

// TopN holds a train and a test value of a top-k setting.
type TopN struct{ Train, Test int }

// Get returns the value for the mode.
func (t TopN) Get(training bool) int {
	if training {
		return t.Train
	}
	return t.Test
}

// Config holds every RPN setting where detectron2 and torchvision may
// differ. Detectron2Config and TorchvisionConfig are the two presets.
type Config struct {
	// Anchors is the anchor arithmetic (detectron2 or torchvision style),
	// with the FPN default sizes, ratios and strides.
	Anchors AnchorStyle
	// ConvDepth is the number of 3x3 conv + ReLU layers shared by the
	// objectness and box branches of the head (1 for R-CNN FPN models).
	ConvDepth int

	// FgIoU and BgIoU are the anchor matcher's thresholds: IoU >= FgIoU is
	// foreground, < BgIoU background, in between ignored; every ground
	// truth also keeps its best-overlapping anchors (low-quality matches).
	FgIoU, BgIoU float64
	// BatchSizePerImage anchors are sampled per image for the losses, at
	// most PositiveFraction of them foreground.
	BatchSizePerImage int
	PositiveFraction  float64

	// PreNMSTopN proposals are kept per feature level and image, by
	// objectness, before NMS; PostNMSTopN per image after it.
	PreNMSTopN, PostNMSTopN TopN
	// NMSThresh is the IoU threshold of the per-level NMS.
	NMSThresh float64
	// MinSize drops proposals (after clipping) narrower or lower than it:
	// torchvision keeps sides >= MinSize (remove_small_boxes, 1e-3),
	// detectron2 sides > MinSize (Boxes.nonempty, 0); StrictMinSize picks
	// the detectron2 comparison.
	MinSize       float32
	StrictMinSize bool
	// ScoreThresh drops proposals with objectness probability below it
	// (torchvision's score_thresh, 0).
	ScoreThresh float32

	// BoxWeights are the box coder weights (1, 1, 1, 1).
	BoxWeights [4]float64
	// SmoothL1Beta is the box regression loss: 0 is L1 (detectron2), 1/9
	// smooth L1 (torchvision).
	SmoothL1Beta float32
	// Normalization of the two losses.
	Normalization Normalization
	// LossWeights scale the objectness and box regression losses.
	ObjectnessWeight, BoxRegWeight float32
}

// Detectron2Config is detectron2's R50-FPN 1x RPN: L1 box loss, losses
// summed and divided by 256 per image, 2000/1000 proposals per level before
// NMS and 1000/1000 per image after it (train/test), non-empty boxes kept.
func Detectron2Config() Config {
	return Config{
		Anchors:           Detectron2Anchors,
		ConvDepth:         1,
		FgIoU:             0.7,
		BgIoU:             0.3,
		BatchSizePerImage: 256,
		PositiveFraction:  0.5,
		PreNMSTopN:        TopN{Train: 2000, Test: 1000},
		PostNMSTopN:       TopN{Train: 1000, Test: 1000},
		NMSThresh:         0.7,
		MinSize:           0,
		StrictMinSize:     true,
		ScoreThresh:       0,
		BoxWeights:        [4]float64{1, 1, 1, 1},
		SmoothL1Beta:      0,
		Normalization:     NormalizeBySampleTarget,
		ObjectnessWeight:  1,
		BoxRegWeight:      1,
	}
}

// TorchvisionConfig is torchvision 0.14's fasterrcnn_resnet50_fpn RPN:
// smooth L1 (beta 1/9) box loss divided by the number of sampled anchors,
// mean objectness loss over them, 2000/2000 (train) and 1000/1000 (test)
// proposals per level / per image, boxes with sides >= 1e-3 kept.
func TorchvisionConfig() Config {
	c := Detectron2Config()
	c.Anchors = TorchvisionAnchors
	c.PreNMSTopN = TopN{Train: 2000, Test: 1000}
	c.PostNMSTopN = TopN{Train: 2000, Test: 1000}
	c.MinSize = 1e-3
	c.StrictMinSize = false
	c.SmoothL1Beta = 1.0 / 9
	c.Normalization = NormalizeBySampled
	return c
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Anchors != Detectron2Anchors && c.Anchors != TorchvisionAnchors:
		return fmt.Errorf("rpn: unknown anchor style %v", c.Anchors)
	case c.ConvDepth < 1:
		return fmt.Errorf("rpn: conv depth %d must be >= 1", c.ConvDepth)
	case !(c.BgIoU >= 0 && c.BgIoU <= c.FgIoU && c.FgIoU <= 1):
		return fmt.Errorf("rpn: IoU thresholds bg %v / fg %v must satisfy 0 <= bg <= fg <= 1", c.BgIoU, c.FgIoU)
	case c.BatchSizePerImage < 1:
		return fmt.Errorf("rpn: batch size per image %d must be >= 1", c.BatchSizePerImage)
	case !(c.PositiveFraction >= 0 && c.PositiveFraction <= 1):
		return fmt.Errorf("rpn: positive fraction %v outside [0, 1]", c.PositiveFraction)
	case c.PreNMSTopN.Train < 1 || c.PreNMSTopN.Test < 1 || c.PostNMSTopN.Train < 1 || c.PostNMSTopN.Test < 1:
		return fmt.Errorf("rpn: top-n values %+v / %+v must be >= 1", c.PreNMSTopN, c.PostNMSTopN)
	case !(c.NMSThresh >= 0 && c.NMSThresh <= 1):
		return fmt.Errorf("rpn: NMS threshold %v outside [0, 1]", c.NMSThresh)
	case !(c.MinSize >= 0) || math.IsInf(float64(c.MinSize), 0):
		return fmt.Errorf("rpn: min size %v must be finite and >= 0", c.MinSize)
	case !(c.ScoreThresh >= 0 && c.ScoreThresh <= 1):
		return fmt.Errorf("rpn: score threshold %v outside [0, 1]", c.ScoreThresh)
	case !(c.SmoothL1Beta >= 0) || math.IsInf(float64(c.SmoothL1Beta), 0):
		return fmt.Errorf("rpn: smooth L1 beta %v must be finite and >= 0", c.SmoothL1Beta)
	case c.Normalization != NormalizeBySampleTarget && c.Normalization != NormalizeBySampled:
		return fmt.Errorf("rpn: unknown loss normalization %v", c.Normalization)
	}
	for i, w := range c.BoxWeights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("rpn: box coder weight %d is %v, must be positive", i, w)
		}
	}
	if !(c.ObjectnessWeight >= 0 && c.BoxRegWeight >= 0) {
		return fmt.Errorf("rpn: loss weights %v, %v must be >= 0", c.ObjectnessWeight, c.BoxRegWeight)
	}
	return nil
}
