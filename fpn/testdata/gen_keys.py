#!/usr/bin/python3
"""Writes r50fpn_keys_*.txt: the backbone part of torchvision 0.14's
fasterrcnn_resnet50_fpn, one line per state-dict entry.

Run from this folder with Debian's torch: /usr/bin/python3 gen_keys.py

Line format: "param NAME SHAPE TRAINABLE" for parameters, in
named_parameters() order, then "buffer NAME SHAPE" for buffers in
named_buffers() order (SHAPE is comma-separated, empty for a scalar).
  r50fpn_keys_default.txt: fasterrcnn_resnet50_fpn(weights=None,
    weights_backbone=None): BatchNorm2d, all 5 stages trainable (freeze_at 0).
  r50fpn_keys_frozen.txt: the same builder's layout with ImageNet weights
    (FrozenBatchNorm2d, trainable_backbone_layers=3, i.e. freeze_at 2),
    built without downloading: resnet50(norm_layer=FrozenBatchNorm2d)
    through _resnet_fpn_extractor(backbone, 3), exactly as the builder does.
"""
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d


def dump(model, path):
    lines = []
    for name, p in model.named_parameters():
        if name.startswith("backbone."):
            lines.append(f"param {name} {','.join(map(str, p.shape))} {str(p.requires_grad).lower()}")
    for name, b in model.named_buffers():
        if name.startswith("backbone."):
            lines.append(f"buffer {name} {','.join(map(str, b.shape))}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


dump(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None), "r50fpn_keys_default.txt")
body = _resnet_fpn_extractor(resnet50(weights=None, norm_layer=FrozenBatchNorm2d), 3)
dump(FasterRCNN(body, num_classes=91), "r50fpn_keys_frozen.txt")
