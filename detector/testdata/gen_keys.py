#!/usr/bin/python3
"""Writes frcnn_r50fpn_keys.txt: every state-dict entry of torchvision 0.14's
fasterrcnn_resnet50_fpn with 91 classes in its pretrained layout
(FrozenBatchNorm2d, trainable_backbone_layers=3), built without downloading
weights exactly as the builder does.

Run from this folder with Debian's torch: /usr/bin/python3 gen_keys.py

Line format: "param NAME SHAPE TRAINABLE" for parameters, in
named_parameters() order, then "buffer NAME SHAPE" for buffers in
named_buffers() order (SHAPE comma-separated).
"""
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

body = resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
model = FasterRCNN(_resnet_fpn_extractor(body, 3), num_classes=91)
lines = []
for name, p in model.named_parameters():
    lines.append(f"param {name} {','.join(map(str, p.shape))} {str(p.requires_grad).lower()}")
for name, b in model.named_buffers():
    lines.append(f"buffer {name} {','.join(map(str, b.shape))}")
with open("frcnn_r50fpn_keys.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
