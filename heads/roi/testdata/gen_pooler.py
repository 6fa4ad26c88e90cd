#!/usr/bin/python3
"""Writes pooler_golden.json: multi-scale RoI pooling references.

Run from this folder with Debian's torch: /usr/bin/python3 gen_pooler.py

Features "0".."3" (P2..P5 of a 64x96 padded batch of 2 images, 3 channels)
and an extra "pool" map the poolers must skip; images of (64, 90) and
(60, 96) pixels; 17 boxes with sqrt(area) from 0 (empty) to ~500, including
the exact level boundaries 56, 112, 224, 448 and values just below them.
Cases:
  torchvision: torchvision.ops.MultiScaleRoIAlign(["0".."3"], 7, 2): levels
    from its LevelMapper, output, and feature gradients for a fixed dy;
  torchvision_single: MultiScaleRoIAlign(["2"], 3, 2) (single-level path);
  detectron2: detectron2's ROIPooler(ROIAlignV2, sampling 0, output 4,
    scales 1/4..1/32) written out in torch ops (detectron2 is not installed
    here): levels floor(4 + log2(sqrt(area)/224 + 1e-8)) clamped to [2, 5],
    then torchvision's roi_align(aligned=True, sampling_ratio=0) per level.
"""
import json
from collections import OrderedDict

import torch
from torchvision.ops import MultiScaleRoIAlign, roi_align

torch.manual_seed(20240614)


def t2j(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float("%.8g" % v) for v in t.reshape(-1).tolist()]}


def rounded(*shape):
    return torch.round(torch.randn(*shape) * 1000) / 1000


names = ["0", "1", "2", "3", "pool"]
sizes = [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]
feats = OrderedDict((n, rounded(2, 3, h, w)) for n, (h, w) in zip(names, sizes))
image_sizes = [(64, 90), (60, 96)]


def square(cx, cy, side):
    return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]


boxes0 = [
    square(30, 30, 56), square(40, 20, 55.99), square(50, 30, 112), square(45, 32, 111.99),
    square(48, 32, 224), square(20, 10, 223.9), square(48, 32, 448), [10, 12, 10, 30],  # empty
    [3.5, 7.25, 20.75, 30.5],
]
boxes1 = [
    [0, 0, 96, 60], [-5, -6, 40, 33], [70.5, 40.25, 95.75, 59.5], [12, 8, 14, 9],
    [30, 20, 31, 21], square(60, 30, 150), square(20, 50, 300), [1, 2, 80, 3],
]
boxes = [torch.tensor(boxes0, dtype=torch.float32), torch.tensor(boxes1, dtype=torch.float32)]
boxes = [torch.round(b * 1000) / 1000 for b in boxes]

cases = []


def run(name, fn, feat_names):
    fs = OrderedDict((n, v.clone().requires_grad_(True)) for n, v in feats.items())
    out, levels = fn(fs)
    dy = rounded(*out.shape)
    out.backward(dy)
    grads = {n: t2j(fs[n].grad if fs[n].grad is not None else torch.zeros_like(fs[n])) for n in feat_names}
    cases.append({"name": name, "levels": levels, "y": t2j(out), "dy": t2j(dy), "dx": grads})


def tv(fs):
    m = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    out = m(fs, boxes, image_sizes)
    return out, m.map_levels(boxes).tolist()


def tv_single(fs):
    m = MultiScaleRoIAlign(["2"], 3, 2)
    out = m(fs, boxes, image_sizes)
    return out, [0] * sum(len(b) for b in boxes)


def d2(fs):
    maps = [fs[n] for n in ["0", "1", "2", "3"]]
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    allb = torch.cat(boxes)
    sizes_ = torch.sqrt((allb[:, 2] - allb[:, 0]) * (allb[:, 3] - allb[:, 1]))
    lv = torch.floor(4 + torch.log2(sizes_ / 224 + 1e-8))
    lv = torch.clamp(lv, min=2, max=5).to(torch.int64) - 2
    ids = torch.cat([torch.full((len(b), 1), i, dtype=torch.float32) for i, b in enumerate(boxes)])
    rois = torch.cat([ids, allb], dim=1)
    out = torch.zeros(len(rois), 3, 4, 4)
    for level, (m, s) in enumerate(zip(maps, scales)):
        idx = torch.where(lv == level)[0]
        out = out.index_put((idx,), roi_align(m, rois[idx], (4, 4), s, 0, True))
    return out, lv.tolist()


run("torchvision", tv, ["0", "1", "2", "3", "pool"])
run("torchvision_single", tv_single, ["0", "1", "2", "3", "pool"])
run("detectron2", d2, ["0", "1", "2", "3", "pool"])

with open("pooler_golden.json", "w") as f:
    json.dump({
        "names": names, "features": [t2j(v) for v in feats.values()], "image_sizes": image_sizes,
        "boxes": [t2j(b) for b in boxes], "cases": cases,
    }, f, separators=(",", ":"))
