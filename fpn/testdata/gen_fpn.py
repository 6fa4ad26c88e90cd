#!/usr/bin/python3
"""Writes fpn_golden.json: torchvision 0.14 ResNet-FPN outputs for weights
both sides compute from a formula, so no weights are stored.

Run from this folder with Debian's torch: /usr/bin/python3 gen_fpn.py

Weights: the state-dict keys (num_batches_tracked excluded) are sorted; key k
with shape S gets, at row-major element i, s = sin(0.37*i + 0.71*k) and
  conv weight (4-d)  sqrt(3/fan_in) * s    (fan_in = S[1]*S[2]*S[3])
  running_var        0.75 + 0.25*s
  running_mean       0.1*s
  other weight       1 + 0.2*s             (norm scale)
  bias               0.1*s                 (norm shift, FPN conv bias)
computed in float64 and rounded to float32. The input is
x[i] = sin(0.05*i) + 0.5*cos(0.011*i). Models are in eval mode.

Cases: ResNet-18 FrozenBN with the real 256-channel FPN (outputs stored at
every 17th element, plus per-level sums), and full outputs of smaller FPNs
on ResNet-50 FrozenBN (batch 2, odd input size), ResNeXt-50 32x4d with
GroupNorm(32) and ResNet-34 with BatchNorm2d.
"""
import json
import math

import torch
from torch import nn
from torchvision.models import resnet
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.ops.misc import FrozenBatchNorm2d

torch.set_grad_enabled(False)


def formula_value(name, shape, k):
    n = 1
    for d in shape:
        n *= d
    s = torch.sin(torch.arange(n, dtype=torch.float64) * 0.37 + 0.71 * k)
    if len(shape) == 4:
        v = math.sqrt(3.0 / (shape[1] * shape[2] * shape[3])) * s
    elif name.endswith("running_var"):
        v = 0.75 + 0.25 * s
    elif name.endswith("running_mean"):
        v = 0.1 * s
    elif name.endswith("weight"):
        v = 1 + 0.2 * s
    elif name.endswith("bias"):
        v = 0.1 * s
    else:
        raise ValueError(name)
    return v.to(torch.float32).reshape(shape)


def set_formula_weights(model):
    sd = model.state_dict()
    keys = sorted(k for k in sd if not k.endswith("num_batches_tracked"))
    for k, name in enumerate(keys):
        sd[name].copy_(formula_value(name, tuple(sd[name].shape), k))


def formula_input(shape):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(0.05 * i) + 0.5 * torch.cos(0.011 * i)).to(torch.float32).reshape(shape)


def build(arch, norm, out_channels):
    norm_layer = {
        "FrozenBN": FrozenBatchNorm2d,
        "BN": nn.BatchNorm2d,
        "GN": lambda c: nn.GroupNorm(32, c),
    }[norm]
    body = resnet.__dict__[arch](weights=None, norm_layer=norm_layer)
    in_ch = [64, 128, 256, 512] if arch in ("resnet18", "resnet34") else [256, 512, 1024, 2048]
    m = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}, in_ch, out_channels)
    m.eval()
    return m


def t2j(t, every=1):
    flat = t.detach().to(torch.float32).reshape(-1)[::every]
    return {"shape": list(t.shape), "every": every,
            "data": [float("%.7g" % v) for v in flat.tolist()],
            "sum": float(t.double().sum()), "sumsq": float((t.double() ** 2).sum())}


cases = []
for name, arch, norm, out_ch, shape, every in [
    ("r18_frozenbn_fpn256", "resnet18", "FrozenBN", 256, (1, 3, 64, 96), 17),
    ("r50_frozenbn_fpn32_odd", "resnet50", "FrozenBN", 32, (2, 3, 33, 47), 1),
    ("x50_32x4d_gn_fpn32", "resnext50_32x4d", "GN", 32, (1, 3, 32, 32), 1),
    ("r34_bn_fpn16", "resnet34", "BN", 16, (1, 3, 32, 40), 1),
]:
    m = build(arch, norm, out_ch)
    set_formula_weights(m)
    out = m(formula_input(shape))
    cases.append({
        "name": name, "arch": arch, "norm": norm, "out_channels": out_ch, "input": list(shape),
        "outputs": [{"name": k, **t2j(v, every)} for k, v in out.items()],
    })

with open("fpn_golden.json", "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
