#!/usr/bin/env python3
"""Generate masks.json, the golden fixtures of package coco/mask.

The oracle is pycocotools built from its own source (never vendored here):

    # fetch github.com/ppwwyyxx/cocoapi (pycocotools 2.0.x) into /tmp/pp, then
    cd /tmp/pp/PythonAPI && /usr/bin/python3 setup.py build_ext --inplace
    PYCOCOTOOLS=/tmp/pp/PythonAPI /usr/bin/python3 gen_masks.py

It reads real polygons from ../../../../shared/data/tiny_coco (override with
TINY_COCO=path/to/instances_val2017.json) and writes masks.json next to this
script. Everything else is drawn from a seeded generator, so the output is
deterministic. Floats are written with repr (shortest round-trip form).
"""
import json
import os
import random
import sys

sys.path.insert(0, os.environ.get("PYCOCOTOOLS", "/tmp/pp/PythonAPI"))
import numpy as np  # noqa: E402
from pycocotools import mask as M  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.environ.get("TINY_COCO", os.path.join(
    HERE, "../../../../shared/data/tiny_coco/annotations/instances_val2017.json"))
rng = random.Random(20240611)


def s(rle):
    c = rle["counts"]
    return c.decode() if isinstance(c, bytes) else c


def counts_of(string, h, w):
    """Uncompressed counts of a compressed string (via decode + re-walk)."""
    m = M.decode({"size": [h, w], "counts": string}).flatten(order="F")
    out, p, c = [], 0, 0
    for v in m:
        if v != p:
            out.append(c)
            c, p = 0, v
        c += 1
    out.append(c)
    return out


def rand_mask(h, w, density=None):
    d = rng.random() if density is None else density
    # blobs: random rectangles, sometimes speckle
    m = np.zeros((h, w), dtype=np.uint8)
    if rng.random() < 0.3:
        m = (np.array([[rng.random() < d for _ in range(w)] for _ in range(h)])).astype(np.uint8)
    else:
        for _ in range(rng.randint(0, 3)):
            y0, x0 = rng.randint(0, h), rng.randint(0, w)
            y1, x1 = rng.randint(y0, h), rng.randint(x0, w)
            m[y0:y1, x0:x1] = 1
    return m


def rowmajor_bits(m):
    return "".join(str(int(v)) for v in m.flatten(order="C"))


out = {}

# 1. Real polygons (tiny_coco val2017): per-polygon frPyObjects and the
# merged annToRLE string, area and bbox of the merge.
with open(TINY) as f:
    ds = json.load(f)
imgs = {im["id"]: im for im in ds["images"]}
anns = [a for a in ds["annotations"] if isinstance(a["segmentation"], list)]
anns.sort(key=lambda a: a["id"])
# small and large ones, keeping the file small
picked = [a for a in anns if sum(len(p) for p in a["segmentation"]) <= 60][:20]
picked += [a for a in anns if len(a["segmentation"]) > 1][:6]
picked += [a for a in anns if sum(len(p) for p in a["segmentation"]) > 200][:2]
real = []
for a in picked:
    im = imgs[a["image_id"]]
    h, w = im["height"], im["width"]
    rles = M.frPyObjects(a["segmentation"], h, w)
    merged = M.merge(rles)
    real.append({
        "ann_id": a["id"], "h": h, "w": w, "polygons": a["segmentation"],
        "each": [s(r) for r in rles], "merged": s(merged),
        "area": int(M.area(merged)), "bbox": [float(v) for v in M.toBbox(merged)],
    })
out["real_polygons"] = real

# 2. Synthetic polygons: fractional, negative and out-of-image vertices,
# repeated vertices, slivers, self-intersections.
syn = []
for i in range(100):
    h, w = rng.randint(1, 40), rng.randint(1, 40)
    k = rng.randint(3, 9)
    pts = []
    for _ in range(k):
        x = rng.uniform(-5, w + 5)
        y = rng.uniform(-5, h + 5)
        if rng.random() < 0.3:
            x, y = round(x * 2) / 2, round(y * 2) / 2  # half pixels
        if rng.random() < 0.2:
            x, y = float(round(x)), float(round(y))
        pts += [x, y]
        if rng.random() < 0.1:
            pts += [x, y]  # repeated vertex
    r = M.frPyObjects([pts], h, w)[0]
    syn.append({"h": h, "w": w, "poly": pts, "rle": s(r)})
out["synthetic_polygons"] = syn

# 3. Boxes through frBbox.
boxes = []
for i in range(60):
    h, w = rng.randint(1, 30), rng.randint(1, 30)
    bb = [rng.uniform(-4, w), rng.uniform(-4, h), rng.uniform(0, w), rng.uniform(0, h)]
    if i % 4 == 0:
        bb = [float(round(v)) for v in bb]
    r = M.frPyObjects(np.array([bb], dtype=np.double), h, w)[0]
    boxes.append({"h": h, "w": w, "bbox": bb, "rle": s(r)})
out["boxes"] = boxes

# 4. Encode: row-major bits -> counts and string; toBbox and area.
enc = []
for i in range(80):
    h, w = rng.randint(1, 12), rng.randint(1, 12)
    m = rand_mask(h, w)
    r = M.encode(np.asfortranarray(m))
    enc.append({"h": h, "w": w, "bits": rowmajor_bits(m), "rle": s(r),
                "counts": counts_of(s(r), h, w), "area": int(M.area(r)),
                "bbox": [float(v) for v in M.toBbox(r)]})
out["encode"] = enc

# 5. Strings with large counts (deltas up to ~2^28), round trip and toBbox.
big = []
for i in range(20):
    h = rng.randint(1, 20000)
    w = rng.randint(1, 20000)
    total = h * w
    cuts = sorted(rng.sample(range(total + 1), rng.randint(1, 9)))
    counts = []
    prev = 0
    for c in cuts + [total]:
        counts.append(c - prev)
        prev = c
    r = M.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    big.append({"h": h, "w": w, "counts": counts, "rle": s(r), "area": int(M.area(r)),
                "bbox": [float(v) for v in M.toBbox(r)]})
out["big_counts"] = big

# 6. Merge (union, intersection) and mask IoU with crowd flags.
merges, ious = [], []
for i in range(40):
    h, w = rng.randint(1, 14), rng.randint(1, 14)
    ms = [rand_mask(h, w) for _ in range(rng.randint(2, 4))]
    rs = [M.encode(np.asfortranarray(m)) for m in ms]
    merges.append({"h": h, "w": w, "in": [s(r) for r in rs],
                   "union": s(M.merge(rs, intersect=0)),
                   "intersection": s(M.merge(rs, intersect=1))})
for i in range(40):
    h, w = rng.randint(1, 14), rng.randint(1, 14)
    dt = [M.encode(np.asfortranarray(rand_mask(h, w))) for _ in range(rng.randint(1, 4))]
    gt = [M.encode(np.asfortranarray(rand_mask(h, w))) for _ in range(rng.randint(1, 4))]
    crowd = [rng.random() < 0.4 for _ in gt]
    o = M.iou(dt, gt, [int(c) for c in crowd])
    ious.append({"h": h, "w": w, "dt": [s(r) for r in dt], "gt": [s(r) for r in gt],
                 "iscrowd": crowd, "iou": [[float(v) for v in row] for row in np.asarray(o)]})
out["merge"] = merges
out["mask_iou"] = ious

# 7. Box IoU with crowd flags (fractional boxes, touching and disjoint ones).
bious = []
for i in range(30):
    dt = [[rng.uniform(0, 50), rng.uniform(0, 50), rng.uniform(0, 30), rng.uniform(0, 30)]
          for _ in range(rng.randint(1, 4))]
    gt = [[rng.uniform(0, 50), rng.uniform(0, 50), rng.uniform(0, 30), rng.uniform(0, 30)]
          for _ in range(rng.randint(1, 4))]
    if i % 5 == 0:
        gt.append([dt[0][0] + dt[0][2], dt[0][1], 5.0, 5.0])  # touching
    crowd = [rng.random() < 0.4 for _ in gt]
    o = M.iou(dt, gt, [int(c) for c in crowd])
    bious.append({"dt": dt, "gt": gt, "iscrowd": crowd,
                  "iou": [[float(v) for v in row] for row in np.asarray(o)]})
out["box_iou"] = bious

with open(os.path.join(HERE, "masks.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote masks.json", os.path.getsize(os.path.join(HERE, "masks.json")), "bytes")
