#!/usr/bin/python3
"""Generates the golden fixtures of package box from torch 1.13 / torchvision 0.14.

Run from anywhere with Debian's interpreter (the python3 on PATH has no torch):

    /usr/bin/python3 box/testdata/gen_box.py

It writes small JSON files next to itself. Floats are written with repr() of
the float32 value widened to float64, so they read back into float32 exactly.
NaN (not valid JSON) is written as 0 and listed separately in "nan_at".
"""
import json
import math
import os

import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.ops import boxes as box_ops

HERE = os.path.dirname(os.path.abspath(__file__))
assert torch.__version__.startswith("1.13"), torch.__version__
assert torchvision.__version__.startswith("0.14"), torchvision.__version__


def flist(t):
    """float32 tensor -> list of Python floats (exact), NaN -> 0."""
    return [0.0 if math.isnan(v) else v for v in t.reshape(-1).tolist()]


def nan_at(t):
    return torch.nonzero(torch.isnan(t.reshape(-1))).reshape(-1).tolist()


def ilist(t):
    return [int(v) for v in t.reshape(-1).tolist()]


def dump(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


# ---------------------------------------------------------------- sort / topk
def sort_cases(g):
    cases = []
    patterns = []
    for n in [1, 2, 5, 16, 17, 33, 100, 257, 1000, 3000]:
        for levels in ([1, 2, 3, 10, 0] if n < 1000 else [3, 0]):
            if levels == 0:  # mostly distinct values (integers keep the file short)
                s = torch.randint(0, 1 << 20, (n,), generator=g).float()
            else:
                s = torch.randint(0, levels, (n,), generator=g).float()
            patterns.append((f"rand{levels}_n{n}", s))
    for n in [40, 300]:
        base = torch.arange(n).float()
        patterns.append((f"asc_n{n}", base.clone()))
        patterns.append((f"desc_n{n}", base.flip(0).clone()))
        patterns.append((f"organ_n{n}", torch.cat([base[: n // 2], base[: n // 2].flip(0)])))
        patterns.append((f"asc_pairs_n{n}", (base // 2).clone()))
    s = torch.randint(0, 4, (200,), generator=g).float()
    s[torch.randint(0, 200, (15,), generator=g)] = float("nan")
    patterns.append(("nan_n200", s))
    for name, s in patterns:
        n = s.numel()
        _, order = s.sort(0, True)
        topk = {}
        ks = {1, 2, 5, n // 64, n // 64 + 1, n // 3, n // 2, n - 1, n} if n < 1000 else {1, n // 64, n // 64 + 1, n // 10}
        for k in sorted(ks):
            if 1 <= k <= n:
                topk[str(k)] = ilist(s.topk(k)[1])
        cases.append({"name": name, "scores": flist(s), "nan_at": nan_at(s),
                      "argsort": ilist(order), "topk": topk})
    return cases


# ---------------------------------------------------------------- boxes
def rand_boxes(g, n, w=200.0, h=150.0, min_size=0.0, max_size=80.0, quant=0.0):
    """Random XYXY boxes inside roughly [0,w]x[0,h]; quant>0 rounds coordinates."""
    cx = torch.rand(n, generator=g) * w
    cy = torch.rand(n, generator=g) * h
    bw = min_size + torch.rand(n, generator=g) * (max_size - min_size)
    bh = min_size + torch.rand(n, generator=g) * (max_size - min_size)
    b = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
    if quant > 0:
        b = torch.round(b / quant) * quant
    return b.float()


def special_boxes():
    # identical, contained, touching edges, zero width, zero area, disjoint
    return torch.tensor([
        [10, 10, 50, 50], [10, 10, 50, 50], [20, 20, 30, 30], [50, 10, 90, 50],
        [30, 30, 30, 60], [5, 5, 5, 5], [100, 100, 120, 130], [0, 0, 10, 1], [0, 0, 3, 1],
    ], dtype=torch.float32)


def boxes_cases(g):
    a = torch.cat([special_boxes(), rand_boxes(g, 25, min_size=0.0)])
    b = torch.cat([special_boxes(), rand_boxes(g, 30, min_size=0.0)])
    iou = box_ops.box_iou(a, b)
    # Outside the image and small boxes for clip / remove_small.
    c = torch.cat([rand_boxes(g, 40, w=260, h=200, min_size=0, max_size=40) - 30, special_boxes()])
    clipped = box_ops.clip_boxes_to_image(c, (150, 200))
    return {
        "a": flist(a), "b": flist(b), "iou": flist(iou), "iou_nan_at": nan_at(iou),
        "area": flist(box_ops.box_area(a)),
        "c": flist(c), "clip_hw": [150, 200], "clipped": flist(clipped),
        "remove_small": {str(m): ilist(box_ops.remove_small_boxes(clipped, m)) for m in [0.0, 1.0, 10.0, 20.5]},
        "xywh": flist(box_ops.box_convert(a, "xyxy", "xywh")),
    }


# ---------------------------------------------------------------- box coder
def coder_cases(g):
    cases = []
    refs = rand_boxes(g, 40, w=800, h=600, min_size=4, max_size=300, quant=0.5)
    gts = rand_boxes(g, 40, w=800, h=600, min_size=2, max_size=400, quant=0.5)
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        coder = det_utils.BoxCoder(weights)
        enc = coder.encode_single(gts, refs)
        for k in [1, 5]:
            deltas = torch.round(torch.randn(refs.shape[0], 4 * k, generator=g) * 128.0) / 64.0
            deltas[::7, 2::4] = 12.0  # beyond the clamp log(1000/16) ~ 4.135 (times ww)
            deltas[::11, 3::4] = 30.0
            dec = coder.decode_single(deltas, refs)
            cases.append({"weights": list(weights), "k": k, "refs": flist(refs), "gts": flist(gts),
                          "encoded": flist(enc), "deltas": flist(deltas), "decoded": flist(dec)})
    return cases


# ---------------------------------------------------------------- matcher
def matcher_cases(g):
    cases = []
    gts = torch.cat([rand_boxes(g, 6, w=300, h=300, min_size=20, max_size=120),
                     torch.tensor([[1000.0, 1000.0, 1010.0, 1010.0]])])  # overlaps nothing
    anchors = rand_boxes(g, 200, w=300, h=300, min_size=10, max_size=150, quant=4.0)
    anchors = torch.cat([anchors, anchors[:20]])  # duplicates: exact ties
    iou = box_ops.box_iou(gts, anchors)
    mats = [("iou", iou)]
    levels = torch.tensor([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0], dtype=torch.float32)
    q = levels[torch.randint(0, levels.numel(), (5, 60), generator=g)]
    q[3] = 0.0  # a ground truth overlapping nothing
    q[4, 10:20] = q[4].max()
    mats.append(("levels", q))
    f07 = torch.tensor(0.7, dtype=torch.float32)
    f03 = torch.tensor(0.3, dtype=torch.float32)
    edge = torch.tensor([
        [f07.item(), torch.nextafter(f07, torch.tensor(0.0)).item(), torch.nextafter(f07, torch.tensor(1.0)).item(),
         f03.item(), torch.nextafter(f03, torch.tensor(0.0)).item(), 0.2, 0.0, 0.0],
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0, 0.0],
    ], dtype=torch.float32)
    mats.append(("thresholds", edge))
    matrices = {}
    for name, m in mats:
        matrices[name] = {"num_gt": m.shape[0], "num_pred": m.shape[1], "quality": flist(m)}
        for high, low, allow in [(0.7, 0.3, True), (0.7, 0.3, False), (0.5, 0.5, False), (0.5, 0.5, True)]:
            matcher = det_utils.Matcher(high, low, allow)
            cases.append({"matrix": name, "high": high, "low": low, "allow_low_quality": allow,
                          "matches": ilist(matcher(m.clone()))})
    return cases, matrices, {"gts": flist(gts), "anchors": flist(anchors)}


# ---------------------------------------------------------------- NMS
def nms_cases(g):
    cases = []

    def add(name, b, s, thrs, classes=None):
        keep = {}
        for thr in thrs:
            if classes is None:
                keep[repr(thr)] = ilist(box_ops.nms(b, s, thr))
            else:
                keep[repr(thr)] = ilist(box_ops.batched_nms(b, s, classes, thr))
        c = {"name": name, "boxes": flist(b), "scores": flist(s), "keep": keep}
        if classes is not None:
            c["classes"] = ilist(classes)
        cases.append(c)

    b = rand_boxes(g, 150, w=300, h=300, min_size=5, max_size=100)
    s = torch.rand(150, generator=g)
    add("random", b, s, [0.0, 0.3, 0.5, 0.7, 1.0])
    # Ties: few score levels, duplicated boxes, quantized coordinates.
    b = rand_boxes(g, 250, w=200, h=200, min_size=8, max_size=80, quant=2.0)
    b = torch.cat([b, b[:50], b[100:130]])
    s = torch.randint(0, 6, (b.shape[0],), generator=g).float() / 8
    add("ties", b, s, [0.3, 0.5, 0.7])
    add("all_equal_scores", b, torch.full((b.shape[0],), 0.5), [0.5])
    # IoU exactly float32(0.3): torchvision compares in float64 and suppresses.
    add("thr_edge", special_boxes()[7:9], torch.tensor([0.9, 0.8]), [0.3])
    add("negative_thr", special_boxes(), torch.arange(9, 0, -1).float(), [-0.5])
    # RPN-like: many boxes, integer coordinates (keeps the fixture small).
    b = rand_boxes(g, 2000, w=800, h=600, min_size=8, max_size=300, quant=1.0)
    s = torch.randint(0, 300, (2000,), generator=g).float() / 256
    add("rpn_like_2000", b, s, [0.7])
    # Batched: small (coordinate trick path) and > 1000 boxes (per-class path).
    for n, name in [(400, "batched_trick_400"), (1200, "batched_vanilla_1200")]:
        b = rand_boxes(g, n, w=400, h=300, min_size=8, max_size=150, quant=1.0)
        b = torch.cat([b, b[: n // 10]])
        cl = torch.randint(0, 5, (b.shape[0],), generator=g)
        s = torch.randint(0, 40, (b.shape[0],), generator=g).float() / 32
        add(name, b, s, [0.5], cl)
    return cases


def main():
    g = torch.Generator().manual_seed(20240611)
    dump("sort.json", {"cases": sort_cases(g)})
    dump("boxes.json", boxes_cases(g))
    dump("coder.json", {"cases": coder_cases(g)})
    mc, matrices, iou_boxes = matcher_cases(g)
    dump("matcher.json", {"cases": mc, "matrices": matrices, "iou_boxes": iou_boxes})
    dump("nms.json", {"cases": nms_cases(g)})


if __name__ == "__main__":
    main()
