// Package fpn is the Feature Pyramid Network of R-CNN detectors: lateral
// 1x1 convs bring every body level to one width (256), a top-down pass adds
// each coarser level, upsampled by nearest neighbour to the finer one's
// size, and 3x3 output convs smooth the sums; P6 is a max pool of P5 with
// kernel 1 and stride 2 (LastLevelMaxPool), used by the RPN only.
//
// BackboneWithFPN puts a body (a backbone.ResNet) and an FPN together as
// torchvision's BackboneWithFPN does, with its parameter names: the body is
// registered as "body" and the FPN as "fpn" ("body.layer1.0.conv1.weight",
// "fpn.inner_blocks.0.0.weight", "fpn.layer_blocks.3.0.bias"), and the
// detector registers the whole as "backbone". Its outputs are named like
// torchvision's ("0", "1", "2", "3", "pool" for P2..P6 at strides 4..64).
package fpn
