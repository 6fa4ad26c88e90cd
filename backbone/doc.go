// Package backbone holds the ResNet family (ResNet 18/34/50/101/152 and
// ResNeXt) used as the body of R-CNN detectors: a stem and four stages
// whose feature maps, at strides 4 to 32, feed the FPN.
//
// The layout is torchvision's (ResNet v1.5: a bottleneck's stride sits on
// its 3x3 conv), and so are the parameter names: a ResNet registers its
// children as "conv1", "bn1", "layer1".."layer4", each block as "0", "1", ...
// with "conv1", "bn1", ..., "downsample.0", "downsample.1", so its keys are
// those of torchvision's resnet50().state_dict() minus the classifier
// ("layer1.0.conv1.weight"). A parent adds its prefix when it registers the
// ResNet: fpn.BackboneWithFPN registers it as "body" and the detector
// registers that as "backbone", giving torchvision's detection keys
// ("backbone.body.layer1.0.conv1.weight"). Consequently an ImageNet
// checkpoint loads into a bare ResNet as is, and into a detector with
// nn.LoadOptions{Prefix: "backbone.body."}.
//
// The feature maps are named as detectron2 names them: "stem" (after the max
// pool, stride 4), "res2" (torchvision's layer1, stride 4), "res3" (8),
// "res4" (16), "res5" (32). Freezing follows detectron2's freeze_at (0:
// nothing, 1: the stem, 2: stem and res2, the default, ... 5: everything);
// torchvision's trainable_layers t is freeze_at 5-t.
package backbone
