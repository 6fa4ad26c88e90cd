package roi

import (
	"fmt"
	"math"
)

// MaskTargetRule selects how a positive RoI's mask target is cut out of its
// ground-truth instance mask.
type MaskTargetRule int

const (
	// TorchvisionMaskTargets: the full-image binary mask (polygons
	// rasterized at the input size) pooled by legacy RoIAlign (aligned =
	// false, spatial scale 1, adaptive sampling) into M x M, kept soft (no
	// threshold): torchvision's project_masks_on_boxes.
	TorchvisionMaskTargets MaskTargetRule = iota
	// Detectron2MaskTargets: polygons shifted and scaled into the box and
	// rasterized at M x M; bitmaps pooled by aligned RoIAlign and
	// thresholded at 0.5 (detectron2's PolygonMasks / BitMasks
	// crop_and_resize).
	Detectron2MaskTargets
)

func (r MaskTargetRule) String() string {
	switch r {
	case TorchvisionMaskTargets:
		return "torchvision"
	case Detectron2MaskTargets:
		return "detectron2"
	}
	return fmt.Sprintf("MaskTargetRule(%d)", int(r))
}

// PasteRule selects how an M x M mask is pasted into the image.
type PasteRule int

const (
	// TorchvisionPaste: the mask padded by one zero pixel on each side,
	// the box grown by (M+2)/M and rounded to integer pixels, the padded
	// mask resized bilinearly to that integer box and thresholded with
	// p > Threshold (torchvision's paste_masks_in_image and its COCO
	// evaluation's masks > 0.5).
	TorchvisionPaste PasteRule = iota
	// Detectron2Paste: every pixel center of the image samples the mask
	// bilinearly at its position relative to the float box, zero outside
	// the mask (grid_sample, align_corners = false), thresholded with
	// p >= Threshold (detectron2's paste_masks_in_image).
	Detectron2Paste
)

func (r PasteRule) String() string {
	switch r {
	case TorchvisionPaste:
		return "torchvision"
	case Detectron2Paste:
		return "detectron2"
	}
	return fmt.Sprintf("PasteRule(%d)", int(r))
}

// MaskConfig holds the mask branch's settings (Mask R-CNN).
// Detectron2MaskConfig and TorchvisionMaskConfig are the presets.
type MaskConfig struct {
	// Pooler pools the mask head's input (14 x 14); it must read the same
	// feature maps as the box pooler. The masks are twice its output size
	// (28 x 28).
	Pooler PoolerConfig
	// NumConvs 3x3 convolutions of ConvDim channels with ReLU (4, 256)
	// form the head; the transposed convolution has ConvDim channels too.
	NumConvs, ConvDim int
	// Init: TorchvisionInit is kaiming-normal (fan out, ReLU) for every
	// weight, zero biases in the head and torch's default biases in the
	// predictor; Detectron2Init is c2_msra_fill for the head and the
	// transposed convolution and N(0, 0.001) for the predictor, zero
	// biases.
	Init Init
	// Targets is the target rule.
	Targets MaskTargetRule
	// LossWeight scales loss_mask (1).
	LossWeight float32
	// Paste and Threshold binarize the predicted masks in the image.
	Paste     PasteRule
	Threshold float32
}

// Detectron2MaskConfig is detectron2's R50-FPN mask branch
// (MaskRCNNConvUpsampleHead, ROIAlignV2 pooler).
func Detectron2MaskConfig() MaskConfig {
	return MaskConfig{
		Pooler:     Detectron2Pooler(14),
		NumConvs:   4,
		ConvDim:    256,
		Init:       Detectron2Init,
		Targets:    Detectron2MaskTargets,
		LossWeight: 1,
		Paste:      Detectron2Paste,
		Threshold:  0.5,
	}
}

// TorchvisionMaskConfig is torchvision 0.14's maskrcnn_resnet50_fpn mask
// branch (MaskRCNNHeads, MaskRCNNPredictor, MultiScaleRoIAlign 14 with
// sampling ratio 2).
func TorchvisionMaskConfig() MaskConfig {
	return MaskConfig{
		Pooler:     TorchvisionPooler(14),
		NumConvs:   4,
		ConvDim:    256,
		Init:       TorchvisionInit,
		Targets:    TorchvisionMaskTargets,
		LossWeight: 1,
		Paste:      TorchvisionPaste,
		Threshold:  0.5,
	}
}

// MaskSize is the side M of the predicted masks and their targets.
func (c MaskConfig) MaskSize() int { return 2 * c.Pooler.OutputSize }

// Validate reports the first invalid setting (the pooler is checked when
// built).
func (c MaskConfig) Validate() error {
	switch {
	case c.Pooler.OutputSize < 1:
		return fmt.Errorf("roi: mask pooler output size %d must be >= 1", c.Pooler.OutputSize)
	case c.NumConvs < 0:
		return fmt.Errorf("roi: %d mask head convolutions", c.NumConvs)
	case c.ConvDim < 1:
		return fmt.Errorf("roi: mask head width %d must be >= 1", c.ConvDim)
	case c.Init != Detectron2Init && c.Init != TorchvisionInit:
		return fmt.Errorf("roi: unknown mask init %v", c.Init)
	case c.Targets != TorchvisionMaskTargets && c.Targets != Detectron2MaskTargets:
		return fmt.Errorf("roi: unknown mask target rule %v", c.Targets)
	case !(c.LossWeight >= 0) || math.IsInf(float64(c.LossWeight), 0):
		return fmt.Errorf("roi: mask loss weight %v must be finite and >= 0", c.LossWeight)
	case c.Paste != TorchvisionPaste && c.Paste != Detectron2Paste:
		return fmt.Errorf("roi: unknown paste rule %v", c.Paste)
	case !(c.Threshold >= 0 && c.Threshold <= 1):
		return fmt.Errorf("roi: mask threshold %v outside [0, 1]", c.Threshold)
	}
	return nil
}
