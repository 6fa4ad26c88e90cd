#!/usr/bin/python3
"""Writes roialign_golden.json: torchvision 0.14 roi_align references.

Run from this folder with Debian's torch: /usr/bin/python3 gen_roialign.py
Features x [2, 3, 11, 13] and 16 RoIs (rows: batch index, x1, y1, x2, y2 in
image pixels) with boxes inside, partly outside and wholly outside the map,
tiny and zero-size boxes and boxes straddling the last row/column. Each case
(aligned true/false, sampling ratio 0 (adaptive) or 2, two spatial scales,
non-square output) stores the output y and, for a fixed output gradient dy,
the feature gradient dx. Values are short decimals so both sides read the
same float32 inputs.
"""
import json

import torch
from torchvision.ops import roi_align

torch.manual_seed(20240613)


def t2j(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float("%.8g" % v) for v in t.reshape(-1).tolist()]}


def rounded(*shape, quant=1000):
    return torch.round(torch.randn(*shape) * quant) / quant


x = rounded(2, 3, 11, 13)
# Image coordinates for spatial scale 0.5: the image is about 22 x 26.
rois = []
for i in range(9):  # random boxes, some crossing the borders
    x1 = float(torch.empty(1).uniform_(-6, 24))
    y1 = float(torch.empty(1).uniform_(-6, 20))
    w = float(torch.empty(1).uniform_(0.5, 16))
    h = float(torch.empty(1).uniform_(0.5, 14))
    rois.append([i % 2, x1, y1, x1 + w, y1 + h])
rois += [
    [0, 3.0, 4.0, 3.1, 4.05],      # tiny
    [1, 5.0, 5.0, 5.0, 5.0],       # zero size
    [0, -10.0, -9.0, -4.0, -3.0],  # wholly outside (top-left)
    [1, 30.0, 26.0, 40.0, 35.0],   # wholly outside (bottom-right)
    [0, -1.5, -1.2, 27.0, 23.5],   # whole map plus margins
    [1, 20.0, 16.0, 26.0, 22.0],   # last row/column
    [0, 0.0, 0.0, 2.0, 3.0],       # small, at the origin
]
rois = torch.round(torch.tensor(rois, dtype=torch.float32) * 1000) / 1000

cases = []
for aligned in (False, True):
    for sampling in (0, 2):
        for scale, out in ((0.5, (3, 4)), (1.0, (2, 2))):
            xx = x.clone().requires_grad_(True)
            y = roi_align(xx, rois, output_size=out, spatial_scale=scale,
                          sampling_ratio=sampling, aligned=aligned)
            dy = rounded(*y.shape)
            y.backward(dy)
            cases.append({
                "name": f"aligned={aligned} sampling={sampling} scale={scale} out={out}",
                "aligned": aligned, "sampling_ratio": sampling, "spatial_scale": scale,
                "output_size": list(out),
                "y": t2j(y), "dy": t2j(dy), "dx": t2j(xx.grad),
            })

with open("roialign_golden.json", "w") as f:
    json.dump({"x": t2j(x), "rois": t2j(rois), "cases": cases}, f, separators=(",", ":"))
