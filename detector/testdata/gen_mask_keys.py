#!/usr/bin/python3
"""Writes mrcnn_r50fpn_keys.txt: every state-dict entry of torchvision 0.14's
maskrcnn_resnet50_fpn with 91 classes in its pretrained layout
(FrozenBatchNorm2d, trainable_backbone_layers=3), built without downloading
weights exactly as the builder does. Same format as gen_keys.py's file.

Run from this folder with Debian's torch: /usr/bin/python3 gen_mask_keys.py
"""
from torchvision.models import resnet50
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

body = resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
model = MaskRCNN(_resnet_fpn_extractor(body, 3), num_classes=91)
lines = []
for name, p in model.named_parameters():
    lines.append(f"param {name} {','.join(map(str, p.shape))} {str(p.requires_grad).lower()}")
for name, b in model.named_buffers():
    lines.append(f"buffer {name} {','.join(map(str, b.shape))}")
with open("mrcnn_r50fpn_keys.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
