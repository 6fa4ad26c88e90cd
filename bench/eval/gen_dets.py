#!/usr/bin/env python3
"""Write a large, deterministic results workload for the evaluator benchmark.

From a real COCO ground truth (default: coco128, 128 images, 939 objects)
it writes, for every image, perturbed copies of its objects (jittered boxes,
scaled and shifted polygons, some with the wrong category) and false
positives, about DETS_PER_IMAGE detections per image (some images get more
than 100, so maxDets truncation is exercised), with random scores:

    bbox.json  [{image_id, category_id, bbox, score}]
    segm.json  [{image_id, category_id, segmentation (compressed RLE), score}]

Masks are rasterized with pycocotools (built from source, see
coco/mask/testdata/gen_masks.py), so this script needs it; the benchmark
itself does not. Usage:

    PYCOCOTOOLS=/tmp/pp/PythonAPI /usr/bin/python3 gen_dets.py [GT.json] [OUTDIR] [DETS_PER_IMAGE]
"""
import json
import math
import os
import random
import sys

sys.path.insert(0, os.environ.get("PYCOCOTOOLS", "/tmp/pp/PythonAPI"))
from pycocotools import mask as M  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "../../../shared/data/coco128/annotations/instances_train2017.json")
OUT = sys.argv[2] if len(sys.argv) > 2 else "/tmp/gcdet-bench-eval"
PER_IMAGE = int(sys.argv[3]) if len(sys.argv) > 3 else 110

rng = random.Random(12345)
with open(GT) as f:
    gt = json.load(f)
imgs = {im["id"]: im for im in gt["images"]}
cats = [c["id"] for c in gt["categories"]]
by_img = {}
for a in gt["annotations"]:
    by_img.setdefault(a["image_id"], []).append(a)


def rle_str(r):
    c = r["counts"]
    return {"size": r["size"], "counts": c.decode() if isinstance(c, bytes) else c}


def ellipse(x, y, w, h, n=16):
    cx, cy = x + w / 2, y + h / 2
    return [v for j in range(n) for v in (cx + w / 2 * math.cos(2 * math.pi * j / n),
                                          cy + h / 2 * math.sin(2 * math.pi * j / n))]


bbox_res, segm_res = [], []
for img_id in sorted(imgs):
    im = imgs[img_id]
    H, W = im["height"], im["width"]
    anns = [a for a in by_img.get(img_id, []) if not a["iscrowd"]]
    n_target = PER_IMAGE + rng.randint(-30, 30)
    dets = []
    # Perturbed copies of real objects: a few per object.
    for a in anns:
        for _ in range(rng.randint(1, 4)):
            x, y, w, h = a["bbox"]
            s = math.exp(rng.gauss(0, .12))
            dx, dy = rng.gauss(0, .08) * w, rng.gauss(0, .08) * h
            cx, cy = x + w / 2, y + h / 2
            box = [cx + dx - w * s / 2, cy + dy - h * s / 2, w * s, h * s]
            polys = [[(px - cx) * s + cx + dx if i % 2 == 0 else (px - cy) * s + cy + dy
                      for i, px in enumerate(p)] for p in a["segmentation"] if len(p) >= 6]
            if not polys:
                polys = [ellipse(*box)]
            cat = a["category_id"] if rng.random() < .9 else rng.choice(cats)
            dets.append((cat, box, polys))
            if len(dets) >= n_target:
                break
    # False positives up to the target.
    while len(dets) < n_target:
        w, h = rng.uniform(4, W / 2), rng.uniform(4, H / 2)
        box = [rng.uniform(0, W - w), rng.uniform(0, H - h), w, h]
        dets.append((rng.choice(cats), box, [ellipse(*box)]))
    for cat, box, polys in dets:
        score = round(rng.random(), 4)
        box = [round(v, 2) for v in box]
        bbox_res.append({"image_id": img_id, "category_id": cat, "bbox": box, "score": score})
        rle = M.merge(M.frPyObjects(polys, H, W))
        segm_res.append({"image_id": img_id, "category_id": cat, "segmentation": rle_str(rle), "score": score})

os.makedirs(OUT, exist_ok=True)
for name, res in (("bbox.json", bbox_res), ("segm.json", segm_res)):
    p = os.path.join(OUT, name)
    with open(p, "w") as f:
        json.dump(res, f)
    print("wrote %s: %d results, %.1f MB" % (p, len(res), os.path.getsize(p) / 1e6))
