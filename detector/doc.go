// Package detector assembles two-stage detectors from gcdet's parts:
// GeneralizedRCNN is torchvision's and detectron2's GeneralizedRCNN, a
// ResNet-FPN backbone ("backbone"), the region proposal network ("rpn")
// and the RoI heads ("roi_heads"), with torchvision's parameter names, so
// a torchvision Faster R-CNN state dict loads by name.
//
// Data flow (N images, padded batch Hp x Wp):
//
//	ImageList [N, 3, Hp, Wp] + sizes  -> backbone -> P2..P6 [N, 256, Hp/s, Wp/s]
//	P2..P6 + anchors                  -> rpn      -> proposals per image (+ RPN losses)
//	P2..P5 + proposals                -> roi_heads -> detections per image (+ box losses)
//	detections (input pixels)         -> Predict maps them to the original image size
//
// Loss trains (it switches the model to training mode); Predict infers
// (eval mode, no gradient tape). Images are expected normalized and padded
// by the data pipeline (coco.Collate with SizeDivisibility); FromBatch
// turns a coco.Batch into an ImageList and ground truth.
//
// Mask R-CNN is the same model with Config.Mask set (Detectron2MaskRCNNConfig,
// TorchvisionMaskRCNNConfig): the RoI heads gain the mask branch, Loss adds
// loss_mask and Predict returns each detection's mask as a COCO RLE of the
// original image.
//
// Configuration: Detectron2Config is the default (detectron2's R50-FPN 1x);
// TorchvisionConfig reproduces torchvision 0.14's fasterrcnn_resnet50_fpn,
// and every difference between the two is a field of the sub-configs
// (rpn.Config, roi.Config, roi.PoolerConfig, PostprocessConfig).
// Randomness (anchor and RoI sampling, weight initialization) comes from
// the *rand.Rand passed in, so a seed reproduces a run.
package detector
