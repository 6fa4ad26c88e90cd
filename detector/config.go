package detector

import (
	"fmt"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
)

// Config selects a Faster R-CNN. Build one from a preset and change
// fields.
type Config struct {
	Backbone backbone.Config
	FPN      fpn.Config
	RPN      rpn.Config
	// BoxPooler pools the box head's 7x7 inputs from P2..P5.
	BoxPooler roi.PoolerConfig
	RoI       roi.Config
	// Mask, when set, adds the mask branch: a Mask R-CNN (mask_rcnn.go).
	Mask *roi.MaskConfig
	Post PostprocessConfig
	// KeepCrowd keeps crowd annotations (iscrowd = 1) as training targets,
	// like any other box; by default they are dropped, as detectron2's
	// data mapper and torchvision's COCO reference scripts do.
	KeepCrowd bool
}

// PostprocessConfig says how Predict maps detections from the model input
// back to the original image.
type PostprocessConfig struct {
	// ClipToOriginal clips the rescaled boxes to the original image and
	// drops those left empty (detectron2's detector_postprocess);
	// torchvision only rescales.
	ClipToOriginal bool
}

// Detectron2Config is detectron2's R50-FPN 1x Faster R-CNN for numClasses
// foreground classes: ResNet-50 with FrozenBN and the stem and res2
// frozen, FPN 256, detectron2 anchors, RPN and RoI heads as in
// rpn.Detectron2Config and roi.Detectron2Config, ROIAlignV2 pooling.
//
// The ResNet keeps torchvision's layout (stride in the 3x3 conv), which
// torchvision's ImageNet weights need; set Backbone.StrideInOneByOne for
// MSRA's weights.
func Detectron2Config(numClasses int) Config {
	return Config{
		Backbone:  backbone.ResNet50(),
		FPN:       fpn.Config{OutChannels: 256},
		RPN:       rpn.Detectron2Config(),
		BoxPooler: roi.Detectron2Pooler(7),
		RoI:       roi.Detectron2Config(numClasses),
		Post:      PostprocessConfig{ClipToOriginal: true},
	}
}

// TorchvisionConfig is torchvision 0.14's fasterrcnn_resnet50_fpn for
// numClasses foreground classes (num_classes = numClasses + 1 there).
func TorchvisionConfig(numClasses int) Config {
	return Config{
		Backbone:  backbone.ResNet50(),
		FPN:       fpn.Config{OutChannels: 256},
		RPN:       rpn.TorchvisionConfig(),
		BoxPooler: roi.TorchvisionPooler(7),
		RoI:       roi.TorchvisionConfig(numClasses),
	}
}

// Validate checks the heads' settings (the backbone and FPN check theirs
// when built).
func (c Config) Validate() error {
	if err := c.RPN.Validate(); err != nil {
		return err
	}
	if err := c.RoI.Validate(); err != nil {
		return err
	}
	if c.BoxPooler.OutputSize < 1 {
		return fmt.Errorf("detector: box pooler output size %d", c.BoxPooler.OutputSize)
	}
	return c.validateMask()
}
