package roi

import (
	"fmt"
	"math"
)

// Init selects how the box head and predictor are initialized.
type Init int

const (
	// Detectron2Init: fc6/fc7 by c2_xavier_fill (kaiming uniform, a = 1,
	// bias 0); cls_score N(0, 0.01), bbox_pred N(0, 0.001), biases 0.
	Detectron2Init Init = iota
	// TorchvisionInit: torch's default Linear initialization everywhere.
	TorchvisionInit
)

func (i Init) String() string {
	switch i {
	case Detectron2Init:
		return "detectron2"
	case TorchvisionInit:
		return "torchvision"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// Config holds the RoI heads' settings. Detectron2Config and
// TorchvisionConfig are the presets; set NumClasses.
type Config struct {
	// NumClasses is the number of foreground classes K (labels 1..K).
	NumClasses int
	// Representation is the width of the box head's two fc layers (1024).
	Representation int
	Init           Init

	// FgIoU: proposals with IoU >= FgIoU with a ground truth are
	// foreground; IoU < BgIoU is background, in between ignored (both 0.5).
	FgIoU, BgIoU float64
	// BatchSizePerImage RoIs are sampled per image, at most
	// PositiveFraction of them foreground (512, 0.25).
	BatchSizePerImage int
	PositiveFraction  float64
	// AddGTProposals appends each image's ground-truth boxes to its
	// proposals before matching (true in both detectron2 and torchvision).
	AddGTProposals bool

	// BoxWeights are the box coder weights (10, 10, 5, 5).
	BoxWeights [4]float64
	// SmoothL1Beta is the box regression loss: 0 is L1 (detectron2), 1/9
	// smooth L1 (torchvision). The summed loss is divided by the number
	// of sampled RoIs in both.
	SmoothL1Beta float32
	// ClsWeight and BoxRegWeight scale the two losses.
	ClsWeight, BoxRegWeight float32

	// ScoreThresh keeps (RoI, class) pairs with score > ScoreThresh (0.05).
	ScoreThresh float32
	// NMSThresh is the per-class NMS IoU threshold (0.5).
	NMSThresh float64
	// DetectionsPerImage caps the detections of each image (100).
	DetectionsPerImage int
	// MinSize drops detections with width or height below it (after
	// clipping): torchvision 0.01, detectron2 0 (keeps all).
	MinSize float32
}

// Detectron2Config is detectron2's R50-FPN 1x box branch for numClasses
// foreground classes.
func Detectron2Config(numClasses int) Config {
	return Config{
		NumClasses:         numClasses,
		Representation:     1024,
		Init:               Detectron2Init,
		FgIoU:              0.5,
		BgIoU:              0.5,
		BatchSizePerImage:  512,
		PositiveFraction:   0.25,
		AddGTProposals:     true,
		BoxWeights:         [4]float64{10, 10, 5, 5},
		SmoothL1Beta:       0,
		ClsWeight:          1,
		BoxRegWeight:       1,
		ScoreThresh:        0.05,
		NMSThresh:          0.5,
		DetectionsPerImage: 100,
		MinSize:            0,
	}
}

// TorchvisionConfig is torchvision 0.14's fasterrcnn_resnet50_fpn box
// branch for numClasses foreground classes.
func TorchvisionConfig(numClasses int) Config {
	c := Detectron2Config(numClasses)
	c.Init = TorchvisionInit
	c.SmoothL1Beta = 1.0 / 9
	c.MinSize = 1e-2
	return c
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.NumClasses < 1:
		return fmt.Errorf("roi: %d classes, need at least 1", c.NumClasses)
	case c.Representation < 1:
		return fmt.Errorf("roi: representation size %d must be >= 1", c.Representation)
	case c.Init != Detectron2Init && c.Init != TorchvisionInit:
		return fmt.Errorf("roi: unknown init %v", c.Init)
	case !(c.BgIoU >= 0 && c.BgIoU <= c.FgIoU && c.FgIoU <= 1):
		return fmt.Errorf("roi: IoU thresholds bg %v / fg %v must satisfy 0 <= bg <= fg <= 1", c.BgIoU, c.FgIoU)
	case c.BatchSizePerImage < 1:
		return fmt.Errorf("roi: batch size per image %d must be >= 1", c.BatchSizePerImage)
	case !(c.PositiveFraction >= 0 && c.PositiveFraction <= 1):
		return fmt.Errorf("roi: positive fraction %v outside [0, 1]", c.PositiveFraction)
	case !(c.SmoothL1Beta >= 0) || math.IsInf(float64(c.SmoothL1Beta), 0):
		return fmt.Errorf("roi: smooth L1 beta %v must be finite and >= 0", c.SmoothL1Beta)
	case !(c.ClsWeight >= 0 && c.BoxRegWeight >= 0):
		return fmt.Errorf("roi: loss weights %v, %v must be >= 0", c.ClsWeight, c.BoxRegWeight)
	case !(c.ScoreThresh >= 0 && c.ScoreThresh <= 1):
		return fmt.Errorf("roi: score threshold %v outside [0, 1]", c.ScoreThresh)
	case !(c.NMSThresh >= 0 && c.NMSThresh <= 1):
		return fmt.Errorf("roi: NMS threshold %v outside [0, 1]", c.NMSThresh)
	case c.DetectionsPerImage < 1:
		return fmt.Errorf("roi: detections per image %d must be >= 1", c.DetectionsPerImage)
	case !(c.MinSize >= 0) || math.IsInf(float64(c.MinSize), 0):
		return fmt.Errorf("roi: min size %v must be finite and >= 0", c.MinSize)
	}
	for i, w := range c.BoxWeights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("roi: box coder weight %d is %v, must be positive", i, w)
		}
	}
	return nil
}
