#!/usr/bin/env python3
"""Generate edge_cases.json.gz, the edge-case fixtures of package eval.

Each case is a small ground truth, a results list, evaluation parameters,
and what pycocotools' COCOeval gives for them: the 12 stats, the per-category
AP (mean of precision[:, :, k, 0, -1] > -1) and SHA-256 digests of the whole
precision [T,R,K,A,M] and recall [T,K,A,M] arrays (little-endian float64, C
order), so the Go test checks every entry bit for bit.

The oracle is pycocotools built from its source (not vendored):

    # fetch github.com/ppwwyyxx/cocoapi into /tmp/pp, then
    cd /tmp/pp/PythonAPI && /usr/bin/python3 setup.py build_ext --inplace
    PYCOCOTOOLS=/tmp/pp/PythonAPI /usr/bin/python3 gen_edge.py

Why each case's expected values are right is argued in edge_test.go next to
the hand-checkable ones; the rest rely on pycocotools being the definition.
Deterministic: every random choice comes from seeded generators.
"""
import contextlib
import copy
import gzip
import hashlib
import io
import json
import os
import random
import sys

sys.path.insert(0, os.environ.get("PYCOCOTOOLS", "/tmp/pp/PythonAPI"))
import numpy as np  # noqa: E402
from pycocotools import mask as M  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def s(rle):
    c = rle["counts"]
    return {"size": rle["size"], "counts": c.decode() if isinstance(c, bytes) else c}


def make_gt(images, anns, cats):
    return {"images": [{"id": i, "width": w, "height": h, "file_name": "%d.jpg" % i} for i, w, h in images],
            "annotations": anns,
            "categories": [{"id": c, "name": "cat%d" % c} for c in cats]}


def box_ann(id, img, cat, bb, crowd=0, area=None):
    x, y, w, h = bb
    return {"id": id, "image_id": img, "category_id": cat, "bbox": list(bb), "iscrowd": crowd,
            "area": float(w * h) if area is None else area,
            "segmentation": [[x, y, x, y + h, x + w, y + h, x + w, y]]}


def run(name, gt, dt, iou_type, params=None):
    params = params or {}
    coco = COCO()
    coco.dataset = copy.deepcopy(gt)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        res = coco.loadRes(copy.deepcopy(dt))
        E = COCOeval(coco, res, iou_type)
        if "imgIds" in params:
            E.params.imgIds = params["imgIds"]
        if "catIds" in params:
            E.params.catIds = params["catIds"]
        if "maxDets" in params:
            E.params.maxDets = params["maxDets"]
        if "useCats" in params:
            E.params.useCats = params["useCats"]
        if "areaRng" in params:
            E.params.areaRng = params["areaRng"]
            E.params.areaRngLbl = params["areaRngLbl"]
        E.evaluate()
        E.accumulate()
        E.summarize()
    prec, rec = E.eval["precision"], E.eval["recall"]
    per_cat = []
    if E.params.useCats:
        for k in range(prec.shape[2]):
            p = prec[:, :, k, 0, -1]
            p = p[p > -1]
            per_cat.append(float(np.mean(p)) if p.size else -1.0)
    return {"name": name, "iou_type": iou_type, "gt": gt, "dt": dt, "params": params,
            "stats": [float(v) for v in E.stats], "per_cat": per_cat,
            "precision_sha256": hashlib.sha256(np.ascontiguousarray(prec, dtype="<f8").tobytes()).hexdigest(),
            "recall_sha256": hashlib.sha256(np.ascontiguousarray(rec, dtype="<f8").tobytes()).hexdigest()}


cases = []

# Ties: equal scores keep input order; three ground truths, five detections.
gt = make_gt([(1, 100, 100)], [box_ann(1, 1, 1, (10, 10, 20, 20)), box_ann(2, 1, 1, (50, 50, 20, 20)),
                               box_ann(3, 1, 1, (12, 12, 20, 20))], [1])
dt = [{"image_id": 1, "category_id": 1, "bbox": [11, 11, 20, 20], "score": 0.5},
      {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.5},
      {"image_id": 1, "category_id": 1, "bbox": [80, 80, 10, 10], "score": 0.5},
      {"image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 21], "score": 0.5},
      {"image_id": 1, "category_id": 1, "bbox": [12, 12, 19, 19], "score": 0.5}]
cases.append(run("ties", gt, dt, "bbox"))
# Ties across images in accumulate: one true and one false positive at one score.
gt = make_gt([(1, 100, 100), (2, 100, 100)], [box_ann(1, 1, 1, (10, 10, 20, 20)), box_ann(2, 2, 1, (10, 10, 20, 20))], [1])
dt = [{"image_id": 2, "category_id": 1, "bbox": [60, 60, 20, 20], "score": 0.7},
      {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.7},
      {"image_id": 2, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.3}]
cases.append(run("ties_across_images", gt, dt, "bbox"))

# Crowd: a crowd region absorbs any number of detections (ignored, not
# false positives); the normal object is matched once.
gt = make_gt([(1, 200, 200)], [box_ann(1, 1, 1, (10, 10, 30, 30)),
                               box_ann(2, 1, 1, (100, 100, 80, 80), crowd=1)], [1])
dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30], "score": 0.9}]
dt += [{"image_id": 1, "category_id": 1, "bbox": [105 + 10 * i, 110, 10, 10], "score": 0.8 - 0.05 * i} for i in range(6)]
dt += [{"image_id": 1, "category_id": 1, "bbox": [11, 11, 30, 30], "score": 0.2}]
cases.append(run("crowd", gt, dt, "bbox"))

# Area bounds: ground truth areas exactly 32^2 and 96^2 belong to both
# neighbouring ranges (inclusive); the area field, not the box, decides;
# detections' box areas decide their ignore flag when unmatched.
gt = make_gt([(1, 300, 300)], [
    box_ann(1, 1, 1, (0, 0, 32, 32)),                      # area 1024: small and medium
    box_ann(2, 1, 1, (50, 0, 96, 96)),                     # area 9216: medium and large
    box_ann(3, 1, 1, (0, 100, 40, 40), area=1024.0),       # box 1600, area field 1024
    box_ann(4, 1, 1, (0, 200, 31, 33), area=1023.0),       # small only
    box_ann(5, 1, 1, (150, 150, 97, 95), area=9215.0),     # medium only
], [1])
dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 32, 32], "score": 0.9},
      {"image_id": 1, "category_id": 1, "bbox": [50, 0, 96, 96], "score": 0.8},
      {"image_id": 1, "category_id": 1, "bbox": [0, 100, 40, 40], "score": 0.7},
      {"image_id": 1, "category_id": 1, "bbox": [200, 0, 32, 32], "score": 0.6},   # unmatched, area 1024
      {"image_id": 1, "category_id": 1, "bbox": [200, 40, 96, 96], "score": 0.5},  # unmatched, area 9216
      {"image_id": 1, "category_id": 1, "bbox": [150, 150, 97, 95], "score": 0.4}]
cases.append(run("area_bounds", gt, dt, "bbox"))

# Empty images: an image without ground truth whose detections are false
# positives, an image with ground truth and no detection, an image with
# neither.
gt = make_gt([(1, 100, 100), (2, 100, 100), (3, 100, 100)],
             [box_ann(1, 1, 1, (10, 10, 20, 20)), box_ann(2, 2, 1, (10, 10, 20, 20))], [1])
dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
      {"image_id": 3, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.95}]
cases.append(run("empty_images", gt, dt, "bbox"))

# Categories without ground truth (2 has detections, 3 has nothing) are -1
# and excluded from the means; results for a category absent from the
# ground truth (7) are ignored.
gt = make_gt([(1, 100, 100)], [box_ann(1, 1, 1, (10, 10, 20, 20))], [1, 2, 3])
dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
      {"image_id": 1, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.8},
      {"image_id": 1, "category_id": 7, "bbox": [10, 10, 20, 20], "score": 0.8}]
cases.append(run("category_without_gt", gt, dt, "bbox"))

# More than 100 detections per image: only the top 100 by score count.
rng = random.Random(7)
anns = [box_ann(i + 1, 1, 1, (rng.uniform(0, 400), rng.uniform(0, 400), rng.uniform(8, 80), rng.uniform(8, 80)))
        for i in range(30)]
gt = make_gt([(1, 500, 500)], anns, [1])
dt = []
for i in range(150):
    a = anns[rng.randrange(30)]["bbox"]
    j = [v + rng.gauss(0, 4) for v in a]
    j[2], j[3] = abs(j[2]), abs(j[3])
    dt.append({"image_id": 1, "category_id": 1, "bbox": [round(v, 2) for v in j], "score": round(rng.random(), 3)})
cases.append(run("over_100_dets", gt, dt, "bbox"))


def random_world(seed, n_img=12, n_cat=4, w=200, h=150, crowd_p=0.08):
    r = random.Random(seed)
    images = [(i, w, h) for i in range(1, n_img + 1)]
    anns, aid = [], 1
    for im, _, _ in images:
        for _ in range(r.randint(0, 6)):
            cat = r.randint(1, n_cat)
            x, y = r.uniform(-2, w - 4), r.uniform(-2, h - 4)
            bw, bh = r.uniform(2, w * .9), r.uniform(2, h * .9)
            crowd = int(r.random() < crowd_p)
            if crowd:
                m = np.zeros((h, w), dtype=np.uint8)
                m[max(0, int(y)):int(y + bh), max(0, int(x)):int(x + bw)] = 1
                rle = M.encode(np.asfortranarray(m))
                seg = {"size": [h, w], "counts": [int(c) for c in _counts(rle, h, w)]}
                anns.append({"id": aid, "image_id": im, "category_id": cat, "iscrowd": 1,
                             "bbox": [float(v) for v in M.toBbox(rle)], "area": float(M.area(rle)), "segmentation": seg})
            else:
                k = r.randint(3, 7)
                cx, cy = x + bw / 2, y + bh / 2
                pts = []
                for j in range(k):
                    ang = 2 * np.pi * j / k + r.uniform(-.3, .3)
                    pts += [round(cx + bw / 2 * np.cos(ang) * r.uniform(.5, 1), 2),
                            round(cy + bh / 2 * np.sin(ang) * r.uniform(.5, 1), 2)]
                rle = M.merge(M.frPyObjects([pts], h, w))
                anns.append({"id": aid, "image_id": im, "category_id": cat, "iscrowd": 0,
                             "bbox": [float(v) for v in M.toBbox(rle)], "area": float(M.area(rle)),
                             "segmentation": [pts]})
            aid += 1
    gt = make_gt(images, anns, list(range(1, n_cat + 1)))
    dt = []
    for a in anns:
        for _ in range(r.randint(0, 3)):
            bb = [v + r.gauss(0, 2) for v in a["bbox"]]
            bb[2], bb[3] = max(1, bb[2]), max(1, bb[3])
            cat = a["category_id"] if r.random() < .85 else r.randint(1, n_cat)
            m = np.zeros((h, w), dtype=np.uint8)
            x0, y0 = int(max(0, bb[0])), int(max(0, bb[1]))
            m[y0:int(max(0, bb[1] + bb[3])), x0:int(max(0, bb[0] + bb[2]))] = 1
            dt.append({"image_id": a["image_id"], "category_id": cat, "score": round(r.random(), 2),
                       "bbox": [round(v, 2) for v in bb], "segmentation": s(M.encode(np.asfortranarray(m)))})
    for _ in range(10):  # pure false positives
        im = r.randint(1, n_img)
        dt.append({"image_id": im, "category_id": r.randint(1, n_cat), "score": round(r.random(), 2),
                   "bbox": [r.uniform(0, w - 5), r.uniform(0, h - 5), 5.0, 5.0],
                   "segmentation": s(M.encode(np.asfortranarray(np.ones((h, w), dtype=np.uint8))))})
    return gt, dt


def _counts(rle, h, w):
    m = M.decode(rle).flatten(order="F")
    out, p, c = [], 0, 0
    for v in m:
        if v != p:
            out.append(c)
            c, p = 0, v
        c += 1
    out.append(c)
    return out


def boxes_only(dt):
    return [{k: v for k, v in d.items() if k != "segmentation"} for d in dt]


def masks_only(dt):
    return [{k: v for k, v in d.items() if k != "bbox"} for d in dt]


gt, dt = random_world(11)
cases.append(run("random_bbox", gt, boxes_only(dt), "bbox"))
cases.append(run("random_segm", gt, masks_only(dt), "segm"))
# Results with both bbox and segmentation are box mode: the area is w*h
# even for segm (detectron2's results format).
cases.append(run("random_segm_box_and_mask", gt, dt, "segm"))
# Box-only results evaluated as masks: each box is rasterized as a polygon.
cases.append(run("random_segm_from_boxes", gt, boxes_only(dt), "segm"))
# Mask-only results evaluated as boxes: the box is the mask's bounding box.
cases.append(run("random_bbox_from_masks", gt, masks_only(dt), "bbox"))
cases.append(run("random_no_cats", gt, boxes_only(dt), "bbox", {"useCats": 0}))
cases.append(run("random_no_cats_segm", gt, masks_only(dt), "segm", {"useCats": 0}))
cases.append(run("random_params", gt, boxes_only(dt), "bbox",
                 {"imgIds": [3, 1, 5, 5, 8, 99], "catIds": [2, 1, 4], "maxDets": [2, 5, 20]}))
cases.append(run("random_area_ranges", gt, boxes_only(dt), "bbox",
                 {"areaRng": [[0, 1e10], [0, 100], [100, 400], [400, 1e10], [50, 60]],
                  "areaRngLbl": ["all", "small", "medium", "large", "tiny"]}))

# A ground-truth annotation with id 0: pycocotools records matches by id, so
# the detection matched to it counts as unmatched (a false positive) and
# the object stays missed.
gt = make_gt([(1, 100, 100)], [box_ann(0, 1, 1, (10, 10, 20, 20)), box_ann(5, 1, 1, (50, 50, 20, 20))], [1])
dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
      {"image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "score": 0.8}]
cases.append(run("gt_id_zero", gt, dt, "bbox"))

gt2, dt2 = random_world(23, n_img=20, n_cat=6, w=120, h=90, crowd_p=0.15)
cases.append(run("random2_segm", gt2, masks_only(dt2), "segm"))
cases.append(run("random2_bbox", gt2, boxes_only(dt2), "bbox"))

with gzip.open(os.path.join(HERE, "edge_cases.json.gz"), "wt") as f:
    json.dump(cases, f, separators=(",", ":"))
print("wrote edge_cases.json.gz", os.path.getsize(os.path.join(HERE, "edge_cases.json.gz")), "bytes,", len(cases), "cases")
for c in cases:
    print("%-28s %s" % (c["name"], " ".join("%.4f" % v for v in c["stats"])))
