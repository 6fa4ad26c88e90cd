package detector

// Mask R-CNN: Faster R-CNN with the RoI heads' mask branch (Config.Mask).
//
//	training:  FromBatch + the samples' instance masks -> roi_heads also returns loss_mask
//	inference: roi_heads also gives each detection's mask probabilities [D, 28, 28] over its box;
//	           Predict pastes them into the original image -> Detections.Masks (COCO RLE)

import (
	"fmt"
	"slices"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/heads/roi"
)

// Detectron2MaskRCNNConfig is detectron2's R50-FPN 1x Mask R-CNN
// (mask_rcnn_R_50_FPN_1x): Detectron2Config with roi.Detectron2MaskConfig.
func Detectron2MaskRCNNConfig(numClasses int) Config {
	c := Detectron2Config(numClasses)
	m := roi.Detectron2MaskConfig()
	c.Mask = &m
	return c
}

// TorchvisionMaskRCNNConfig is torchvision 0.14's maskrcnn_resnet50_fpn:
// TorchvisionConfig with roi.TorchvisionMaskConfig.
func TorchvisionMaskRCNNConfig(numClasses int) Config {
	c := TorchvisionConfig(numClasses)
	m := roi.TorchvisionMaskConfig()
	c.Mask = &m
	return c
}

// validateMask checks the mask branch's settings against the box branch.
func (c Config) validateMask() error {
	if c.Mask == nil {
		return nil
	}
	if err := c.Mask.Validate(); err != nil {
		return err
	}
	if !slices.Equal(c.Mask.Pooler.FeatmapNames, c.BoxPooler.FeatmapNames) {
		return fmt.Errorf("detector: the mask pooler reads %v, the box pooler %v: they must read the same feature maps", c.Mask.Pooler.FeatmapNames, c.BoxPooler.FeatmapNames)
	}
	return nil
}

// HasMasks reports whether the model is a Mask R-CNN.
func (m *GeneralizedRCNN) HasMasks() bool { return m.RoIHeads.HasMasks() }

// attachMasks adds each kept instance's mask to targets (built by FromBatch
// from the same batch, with the same crowd rule). An instance without a
// mask is an error naming the image and annotation.
func attachMasks(b *coco.Batch, targets []roi.GroundTruth, keepCrowd bool) error {
	for i, s := range b.Samples {
		if len(s.Masks) != len(s.Boxes) {
			return fmt.Errorf("detector: image %d (%s): %d instance masks for %d boxes; Mask R-CNN needs masks (coco.SampleOptions.Masks)", s.ImageID, s.FileName, len(s.Masks), len(s.Boxes))
		}
		masks := make([]roi.InstanceMask, 0, targets[i].Len())
		for j, mk := range s.Masks {
			if s.Crowd != nil && s.Crowd[j] && !keepCrowd {
				continue
			}
			if mk.Bitmap == nil && len(mk.Polygons) == 0 {
				ann := int64(-1)
				if j < len(s.AnnIDs) {
					ann = s.AnnIDs[j]
				}
				return fmt.Errorf("detector: image %d (%s) annotation %d has no segmentation; Mask R-CNN needs one per instance", s.ImageID, s.FileName, ann)
			}
			masks = append(masks, mk)
		}
		if len(masks) != targets[i].Len() {
			return fmt.Errorf("detector: image %d (%s): %d masks for %d training instances", s.ImageID, s.FileName, len(masks), targets[i].Len())
		}
		targets[i].Masks = masks
	}
	return nil
}

// pasteMasks pastes each detection's mask probabilities into its original
// image (dets are already mapped there), as the mask config says.
func (m *GeneralizedRCNN) pasteMasks(dets []roi.Detections, images ImageList) {
	cfg, _ := m.RoIHeads.MaskConfig()
	for i := range dets {
		size := images.Sizes[i]
		if images.Original != nil {
			size = images.Original[i]
		}
		flipped := images.Flipped != nil && images.Flipped[i]
		dets[i].PasteMasks(size.H, size.W, cfg.Paste, cfg.Threshold, flipped)
	}
}
