#!/usr/bin/python3
"""Generates heads/rpn/testdata/anchors.json from torchvision 0.14.

    /usr/bin/python3 heads/rpn/testdata/gen_anchors.py

"torchvision" cases run torchvision's AnchorGenerator on an ImageList of the
given (padded) image size and feature maps of the given grid sizes.
"detectron2" cases restate detectron2's DefaultAnchorGenerator arithmetic
(detectron2 is not installed here): cell anchors from Python floats
(w = sqrt(size^2 / ratio), h = ratio * w, sizes outer, ratios inner) made
float32, centers at torch.arange(offset*stride, grid*stride, stride) in
float32, anchors = shifts[:, None, :] + cell[None, :, :].
"""
import json
import math
import os

import torch
import torchvision
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

HERE = os.path.dirname(os.path.abspath(__file__))
assert torchvision.__version__.startswith("0.14"), torchvision.__version__

FPN_SIZES = ((32,), (64,), (128,), (256,), (512,))
FPN_RATIOS = ((0.5, 1.0, 2.0),) * 5


def flist(t):
    return t.reshape(-1).tolist()


def tv_case(name, sizes, ratios, image_hw, grids):
    gen = AnchorGenerator(sizes, ratios)
    images = ImageList(torch.zeros(1, 3, *image_hw), [tuple(image_hw)])
    feats = [torch.zeros(1, 1, h, w) for h, w in grids]
    per_level = [g[0] * g[1] * a for g, a in zip(grids, gen.num_anchors_per_location())]
    anchors = gen(images, feats)[0].split(per_level)
    return {"name": name, "style": "torchvision", "sizes": sizes, "ratios": ratios,
            "image_hw": list(image_hw), "grids": [list(g) for g in grids],
            "cells": [flist(c) for c in gen.cell_anchors], "anchors": [flist(a) for a in anchors]}


def d2_cell(sizes, ratios):
    out = []
    for size in sizes:
        area = size ** 2.0
        for r in ratios:
            w = math.sqrt(area / r)
            h = r * w
            out.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
    return torch.tensor(out, dtype=torch.float32)


def d2_case(name, sizes, ratios, strides, offset, grids):
    cells, anchors = [], []
    for s, r, stride, (gh, gw) in zip(sizes, ratios, strides, grids):
        cell = d2_cell(s, r)
        xs = torch.arange(offset * stride, gw * stride, step=stride, dtype=torch.float32)
        ys = torch.arange(offset * stride, gh * stride, step=stride, dtype=torch.float32)
        sy, sx = torch.meshgrid(ys, xs, indexing="ij")
        sx, sy = sx.reshape(-1), sy.reshape(-1)
        shifts = torch.stack((sx, sy, sx, sy), dim=1)
        cells.append(flist(cell))
        anchors.append(flist((shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4)))
    return {"name": name, "style": "detectron2", "sizes": sizes, "ratios": ratios, "strides": strides,
            "offset": offset, "grids": [list(g) for g in grids], "cells": cells, "anchors": anchors}


def main():
    cases = [
        # Padded 64x96 input, FPN grids P2..P6 (P6 = ceil(P5 / 2)).
        tv_case("fpn_64x96", FPN_SIZES, FPN_RATIOS, (64, 96), [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]),
        # Grid sizes that do not divide the image: strides 72//9 = 8, 100//13 = 7, ...
        tv_case("fpn_72x100_uneven", FPN_SIZES, FPN_RATIOS, (72, 100), [(18, 25), (9, 13), (5, 7), (3, 4), (2, 2)]),
        # Several sizes per level, sizes whose half is x.5 (round half to even), odd ratios.
        tv_case("multi_size_rounding", ((32, 33, 45), (21, 64)), ((0.5, 1.0, 2.0), (0.25, 0.7, 1.3)),
                (40, 56), [(5, 7), (3, 4)]),
        d2_case("d2_fpn_offset0", [list(s) for s in FPN_SIZES], [list(r) for r in FPN_RATIOS],
                [4, 8, 16, 32, 64], 0.0, [(6, 8), (4, 6), (2, 3), (1, 2), (1, 1)]),
        d2_case("d2_multi_offset_half", [[32, 33, 45], [21, 64]], [[0.5, 1.0, 2.0], [0.25, 0.7, 1.3]],
                [8, 16], 0.5, [(5, 7), (3, 4)]),
    ]
    path = os.path.join(HERE, "anchors.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
