// Package roi is the second stage of a two-stage detector: the RoI heads.
// Given the RPN's proposals and the pyramid features, it
//
//   - in training, matches proposals (plus the ground-truth boxes, added as
//     proposals) to the ground truth at IoU 0.5 and samples 512 per image,
//     a quarter of them foreground (sampling.go);
//   - pools a 7x7 feature patch per RoI (the multi-scale RoIAlign pooler,
//     pooler*.go), runs the box head, two fully connected layers of 1024
//     (box_head.go), and the predictor, class logits and class-specific
//     box deltas (predictor.go);
//   - in training, computes the classification (cross entropy) and box
//     regression (L1 or smooth L1) losses (loss.go);
//   - in inference, turns scores and deltas into detections: per-class
//     boxes, score threshold 0.05, per-class NMS 0.5, the 100 best per
//     image (inference.go).
//
// Heads (heads.go) ties these together; its parameter names are
// torchvision's ("box_head.fc6.weight", "box_predictor.cls_score.weight"),
// registered under "roi_heads" by the detector. Class 0 is background;
// foreground classes are 1..K, so predictors have K+1 outputs.
//
// Sampled (sampling.go) records, per image, the sampled RoIs, their labels
// and matched ground truth, which a mask head (Mask R-CNN) needs to build
// its targets from the same sample.
//
// Mask R-CNN (mask*.go): Heads.AddMaskBranch adds "mask_head" (4 x conv3x3
// + ReLU on 14x14 pooled RoIs) and "mask_predictor" (2x2 transposed conv
// to 28x28, 1x1 logits per class); in training the positives' mask targets
// (MaskTargets, torchvision's or detectron2's rule) give Losses.Mask
// (MaskLoss); in inference each detection gets the mask probabilities of
// its class (Detections.MaskProbs), which PasteMask turns into a COCO RLE of
// the image (torchvision's or detectron2's paste).
//
// Defaults follow detectron2's R50-FPN 1x; TorchvisionConfig reproduces
// torchvision 0.14 (smooth L1 with beta 1/9, boxes smaller than 0.01 px
// dropped at inference, default Linear initialization).
package roi
