#!/usr/bin/python3
"""Writes golden_mask.safetensors: torchvision 0.14 Mask R-CNN outputs that
detector/mask_golden_test.go compares with ours.

Run from this folder with Debian's torch and a pycocotools build (for the
polygon rasterization torchvision's data pipeline uses):
    PYCOCOTOOLS=/tmp/pp/PythonAPI /usr/bin/python3 gen_golden_mask.py

The model is gen_golden.py's reduced Faster R-CNN (ResNet-18 body with
FrozenBatchNorm2d, FPN 32, TwoMLPHead 128, 3 foreground classes, same
weight formula, same two formula images padded to 2x3x96x128) made a
MaskRCNN by torchvision's MaskRCNNHeads(32, (16, 16, 16, 16), 1) and
MaskRCNNPredictor(16, 16, 4), with box_detections_per_img = 5 to keep the
fixture small; every other setting is maskrcnn_resnet50_fpn's (mask pooler
MultiScaleRoIAlign(["0".."3"], 14, 2)). Weights: gen_golden.py's formula
(tensors of more than 4096 values, "bounds" metadata) or stored under
"param.<key>"; FrozenBN statistics calibrated as there; the RPN and box
predictors rescaled as there; mask_fcn_logits rescaled so the mask logits of
the detections have std 3 around 0 per class.

Stored (float32):
  Eval mode, on the model's own features:
    features.<0..3>        [2, 32, Hl, Wl]  P2..P5 (the mask pooler's input)
    det.boxes.<i>, det.scores.<i>, det.labels.<i>   roi_heads detections
    mask.logits            [D, 4, 28, 28]   mask_predictor output on them
    mask.probs             [D, 28, 28]      maskrcnn_inference (class channel)
    final.boxes.<i>        [Di, 4]          transform.postprocess boxes
                                            (metadata "original_sizes")
    final.masks.every7     every 7th value of the pasted float masks
                           [Di, 1, Ho, Wo] of image 0 then image 1
    final.rle.<i>.<k>      column-major RLE counts of final mask k > 0.5
  Training mode, both samplers taking every labeled anchor and RoI, with
  ground truth "targets" and their polygons "target_polygons" (input pixels):
    train.proposals.<i>    [Pi, 4]          training-mode proposals
    train.loss.<name>      the five losses
    train.grad.<key>       gradient of their sum for every 1-d trainable
                           parameter of rpn. and roi_heads.
  Mask targets on real polygons (tiny_coco train2017 image "tc_image_id",
  original size "tc_size", the annotations' polygons "tc_polygons"):
    tc.rois                [R, 4]           boxes (instance "tc_matched")
    tc.targets             [R, 28, 28]      project_masks_on_boxes
  Pasting rules on formula masks u("paste", i) of 28x28 with the boxes
  "paste_boxes" in a "paste_size" image:
    paste.torchvision      [B, H, W]        torchvision's paste_masks_in_image
    paste.detectron2       [B, H, W]        detectron2's _do_paste_mask math
                                            (grid_sample), written here from
                                            its documented formula
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import (FPN_CH, NUM_CLASSES, ORIGINAL_SIZES, RECTS, REP, SIZES, TARGETS,  # noqa: E402
                        fan_in, formula, make_input, uniform, write_safetensors)

sys.path.insert(0, os.environ.get("PYCOCOTOOLS", "/tmp/pp/PythonAPI"))
from pycocotools import mask as cocomask  # noqa: E402
from torchvision.models import resnet  # noqa: E402
from torchvision.models.detection import MaskRCNN  # noqa: E402
from torchvision.models.detection._utils import BalancedPositiveNegativeSampler  # noqa: E402
from torchvision.models.detection.backbone_utils import BackboneWithFPN  # noqa: E402
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead  # noqa: E402
from torchvision.models.detection.image_list import ImageList  # noqa: E402
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor  # noqa: E402
from torchvision.models.detection.roi_heads import (maskrcnn_inference, paste_masks_in_image,  # noqa: E402
                                                    project_masks_on_boxes)
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool  # noqa: E402
from torchvision.ops.misc import FrozenBatchNorm2d  # noqa: E402

torch.set_grad_enabled(False)

MASK_DIM, DETS = 16, 5
TINY_COCO = "/work/shared/data/tiny_coco/annotations/instances_train2017.json"
TC_IMAGE = 384553
PASTE_SIZE = (40, 48)
PASTE_BOXES = [
    [10.3, 8.7, 30.2, 25.9],     # inside
    [-6.5, -3.2, 12.4, 15.1],    # over the top-left corner
    [35.1, 28.4, 55.0, 47.3],    # over the bottom-right corner
    [20.0, 20.0, 20.6, 21.2],    # thinner than a pixel
    [2.5, 30.25, 44.75, 38.5],   # wide and flat
    [0.0, 0.0, 48.0, 40.0],      # the whole image
]


def build(norm_layer):
    body = resnet.resnet18(weights=None, norm_layer=norm_layer)
    backbone = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
                               [64, 128, 256, 512], FPN_CH, extra_blocks=LastLevelMaxPool())
    return MaskRCNN(backbone, num_classes=None, min_size=96, max_size=128,
                    box_head=TwoMLPHead(FPN_CH * 7 * 7, REP),
                    box_predictor=FastRCNNPredictor(REP, NUM_CLASSES + 1),
                    mask_head=MaskRCNNHeads(FPN_CH, (MASK_DIM,) * 4, 1),
                    mask_predictor=MaskRCNNPredictor(MASK_DIM, MASK_DIM, NUM_CLASSES + 1),
                    box_detections_per_img=DETS)


def octagon(b):
    """A polygon inscribed in box b (x1, y1, x2, y2): an irregular octagon."""
    x1, y1, x2, y2 = b
    w, h = x2 - x1, y2 - y1
    pts = [(0.3, 0), (0.75, 0.05), (1, 0.4), (0.9, 0.8), (0.6, 1), (0.2, 0.95), (0, 0.6), (0.05, 0.2)]
    return [[round(v, 3) for p in pts for v in (x1 + p[0] * w, y1 + p[1] * h)]]


def raster(polys, h, w):
    rles = cocomask.frPyObjects(polys, h, w)
    return cocomask.decode(cocomask.merge(rles))  # [h, w] uint8


def rle_counts(m):
    """Column-major RLE counts of a 2-d 0/1 array (pycocotools' layout)."""
    r = cocomask.encode(np.asfortranarray(m.astype(np.uint8)))
    # Decompress with pycocotools' own string codec via frPyObjects round trip.
    flat = m.astype(np.uint8).T.reshape(-1)
    counts, cur, run = [], 0, 0
    for v in flat:
        if v != cur:
            counts.append(run)
            cur, run = v, 0
        run += 1
    counts.append(run)
    assert cocomask.area(r) == int(flat.sum())
    return counts


def main():
    x = make_input()
    bounds = {}

    # 1. Formula weights, BN statistics calibrated on x (gen_golden.py's).
    calib = build(nn.BatchNorm2d)
    sd = calib.state_dict()
    for k, v in sd.items():
        if v.dim() >= 2:
            bounds[k] = (6.0 / fan_in(v.shape)) ** 0.5
            if ".fpn." in k or k.startswith("rpn.head.conv"):
                bounds[k] = (3.0 / fan_in(v.shape)) ** 0.5
            if "conv5_mask" in k:  # ConvTranspose2d [in, out, 2, 2]: fan in = in
                bounds[k] = (6.0 / v.shape[0]) ** 0.5
            v.copy_(formula(k, tuple(v.shape), bounds[k]))
        elif k.endswith("num_batches_tracked"):
            continue
        elif ".bn" in k or ".downsample.1." in k:
            if k.endswith(".weight"):
                v.copy_(1 + 0.2 * (2 * torch.from_numpy(uniform(k, v.numel())).float() - 1))
            elif k.endswith(".bias"):
                v.copy_(0.1 * (2 * torch.from_numpy(uniform(k, v.numel())).float() - 1))
        elif k.endswith(".bias"):
            v.copy_(0.05 * (2 * torch.from_numpy(uniform(k, v.numel())).float() - 1))
    for m in calib.backbone.body.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 1.0
    calib.backbone.body.train()
    calib.backbone.body(x)

    model = build(FrozenBatchNorm2d)
    model.eval()
    msd = model.state_dict()
    csd = calib.state_dict()
    for k, v in msd.items():
        v.copy_(csd[k].to(v.dtype))

    features = model.backbone(x)
    flist = list(features.values())

    def rescale(prefix, out, target, offset=None):
        wkey, bkey = prefix + ".weight", prefix + ".bias"
        s = float((out - out.mean(0)).std())
        bounds[wkey] *= target / s
        msd[wkey].copy_(formula(wkey, tuple(msd[wkey].shape), bounds[wkey]))
        b = -out.mean(0) * (target / s)
        if offset is not None:
            b = b + offset
        msd[bkey].copy_(b)

    def conv_rows(conv, maps):
        return torch.cat([(conv(a) - conv.bias.view(1, -1, 1, 1)).permute(0, 2, 3, 1).reshape(-1, conv.out_channels) for a in maps])

    head = model.rpn.head
    t = [head.conv(f) for f in flist]
    rescale("rpn.head.cls_logits", conv_rows(head.cls_logits, t), 2.0, -1.0)
    rescale("rpn.head.bbox_pred", conv_rows(head.bbox_pred, t), 0.15)
    images = ImageList(x, SIZES)
    proposals, _ = model.rpn(images, features)
    rh = model.roi_heads
    bf = rh.box_head(rh.box_roi_pool(features, proposals, SIZES))
    p = rh.box_predictor
    rescale("roi_heads.box_predictor.cls_score", p.cls_score(bf) - p.cls_score.bias, 2.5, torch.tensor([1.0, 0, 0, 0]))
    rescale("roi_heads.box_predictor.bbox_pred", p.bbox_pred(bf) - p.bbox_pred.bias, 0.5)
    dets, _ = rh(features, proposals, SIZES)
    mf = rh.mask_head(rh.mask_roi_pool(features, [d["boxes"] for d in dets], SIZES))
    mp = rh.mask_predictor
    up = mp.relu(mp.conv5_mask(mf))
    rescale("roi_heads.mask_predictor.mask_fcn_logits", conv_rows(mp.mask_fcn_logits, [up]), 3.0)

    # 2. Eval outputs.
    out = {}
    for k in ["0", "1", "2", "3"]:
        out["features." + k] = features[k]
    proposals, _ = model.rpn(images, features)
    dets, _ = rh(features, proposals, SIZES)
    boxes = [d["boxes"] for d in dets]
    logits = rh.mask_predictor(rh.mask_head(rh.mask_roi_pool(features, boxes, SIZES)))
    out["mask.logits"] = logits
    probs = maskrcnn_inference(logits, [d["labels"] for d in dets])
    out["mask.probs"] = torch.cat(probs)[:, 0]
    for i, d in enumerate(dets):
        assert torch.equal(d["masks"], probs[i])
        out[f"det.boxes.{i}"] = d["boxes"].clone()
        out[f"det.scores.{i}"] = d["scores"]
        out[f"det.labels.{i}"] = d["labels"].to(torch.float32)
    final = model.transform.postprocess([{k: v.clone() for k, v in d.items()} for d in dets], SIZES, ORIGINAL_SIZES)
    pasted = []
    for i, d in enumerate(final):
        out[f"final.boxes.{i}"] = d["boxes"]
        pasted.append(d["masks"].reshape(-1))
        for k, m in enumerate(d["masks"][:, 0]):
            out[f"final.rle.{i}.{k}"] = torch.tensor(rle_counts((m > 0.5).numpy()), dtype=torch.float32)
        print(f"image {i}: {len(d['boxes'])} detections, labels {d['labels'].tolist()}, "
              f"mask pixels > 0.5: {[int((m > 0.5).sum()) for m in d['masks'][:, 0]]}")
    out["final.masks.every7"] = torch.cat(pasted)[::7].clone()

    # 3. Training pass.
    polys = [[octagon(b) for b in bs] for bs, _ in TARGETS]
    train_case(model, x, polys, out)

    # 4. Mask targets on tiny_coco polygons.
    tc = tiny_coco_case(out)

    # 5. Pasting rules.
    paste_case(out)

    small = {}
    for k, v in msd.items():
        if v.dim() < 2 and not k.endswith("num_batches_tracked"):
            small[k] = v
        elif v.dim() >= 2:
            assert torch.equal(v, formula(k, tuple(v.shape), bounds[k])), k
    tensors = {"param." + k: v for k, v in small.items()}
    tensors.update(out)
    meta = {
        "bounds": json.dumps({k: bounds[k] for k in msd if k in bounds}),
        "rects": json.dumps(RECTS),
        "sizes": json.dumps(SIZES),
        "original_sizes": json.dumps(ORIGINAL_SIZES),
        "targets": json.dumps(TARGETS),
        "target_polygons": json.dumps(polys),
        "mask_dim": str(MASK_DIM),
        "detections_per_image": str(DETS),
        "paste_size": json.dumps(PASTE_SIZE),
        "paste_boxes": json.dumps(PASTE_BOXES),
        "source": "gen_golden_mask.py, torch %s, torchvision 0.14" % torch.__version__,
    }
    meta.update(tc)
    write_safetensors("golden_mask.safetensors", tensors, meta)


def train_case(model, x, polys, out):
    model.rpn.fg_bg_sampler = BalancedPositiveNegativeSampler(10**7, 1.0)
    model.roi_heads.fg_bg_sampler = BalancedPositiveNegativeSampler(10**7, 1.0)
    model.train()
    targets = []
    for i, (b, l) in enumerate(TARGETS):
        h, w = SIZES[i]
        masks = torch.stack([torch.from_numpy(raster(p, h, w)) for p in polys[i]])
        targets.append({"boxes": torch.tensor(b, dtype=torch.float32), "labels": torch.tensor(l, dtype=torch.int64),
                        "masks": masks})
    with torch.enable_grad():
        model.zero_grad()
        features = model.backbone(x)
        images = ImageList(x, SIZES)
        proposals, rpn_losses = model.rpn(images, features, targets)
        for i, p in enumerate(proposals):
            out[f"train.proposals.{i}"] = p.detach().clone()
        _, roi_losses = model.roi_heads(features, proposals, SIZES, targets)
        losses = {**rpn_losses, **roi_losses}
        sum(losses.values()).backward()
    for k, v in losses.items():
        out["train.loss." + k] = v.detach().reshape(())
        print(f"train {k} = {float(v):.6f}")
    for k, p in model.named_parameters():
        if p.dim() == 1 and p.requires_grad and (k.startswith("rpn.") or k.startswith("roi_heads.")):
            out["train.grad." + k] = p.grad.detach().clone()
    model.eval()


def tiny_coco_case(out):
    d = json.load(open(TINY_COCO))
    img = next(i for i in d["images"] if i["id"] == TC_IMAGE)
    anns = sorted((a for a in d["annotations"] if a["image_id"] == TC_IMAGE and not a["iscrowd"]), key=lambda a: a["id"])
    h, w = img["height"], img["width"]
    polys = [a["segmentation"] for a in anns]
    masks = torch.stack([torch.from_numpy(raster(p, h, w)) for p in polys])
    rois, matched = [], []
    for g, a in enumerate(anns):
        x, y, bw, bh = a["bbox"]
        for dx, dy, sx, sy in [(0, 0, 1, 1), (3.3, -2.1, 1, 1), (0, 0, 1.3, 1.2), (0, 0, 0.6, 0.7), (-0.45, 0.8, 0.9, 1.1)]:
            cx, cy = x + bw / 2 + dx, y + bh / 2 + dy
            rois.append([cx - bw * sx / 2, cy - bh * sy / 2, cx + bw * sx / 2, cy + bh * sy / 2])
            matched.append(g)
    # Beyond the image's corner, and smaller than a pixel.
    rois.append([w - 30.5, h - 20.25, w + 15.0, h + 10.0])
    matched.append(0)
    rois.append([anns[1]["bbox"][0] + 5.2, anns[1]["bbox"][1] + 7.9, anns[1]["bbox"][0] + 5.6, anns[1]["bbox"][1] + 8.1])
    matched.append(1)
    r = torch.tensor(rois, dtype=torch.float32)
    tg = project_masks_on_boxes(masks, r, torch.tensor(matched), 28)
    out["tc.rois"] = r
    out["tc.targets"] = tg
    print(f"tiny_coco image {TC_IMAGE}: {len(anns)} instances, {len(rois)} RoIs, target mean {float(tg.mean()):.3f}")
    return {"tc_image_id": str(TC_IMAGE), "tc_size": json.dumps([h, w]), "tc_polygons": json.dumps(polys),
            "tc_ann_ids": json.dumps([a["id"] for a in anns]), "tc_matched": json.dumps(matched)}


def paste_case(out):
    h, w = PASTE_SIZE
    n = len(PASTE_BOXES)
    masks = torch.from_numpy(uniform("paste", n * 28 * 28).astype(np.float32)).reshape(n, 1, 28, 28)
    boxes = torch.tensor(PASTE_BOXES, dtype=torch.float32)
    out["paste.torchvision"] = paste_masks_in_image(masks, boxes, (h, w))[:, 0]
    # detectron2's rule: every pixel center sampled at its place in the
    # float box by grid_sample (bilinear, zeros outside, align_corners
    # False); pixels away from the box are 0 anyway.
    ys = torch.arange(h, dtype=torch.float32) + 0.5
    xs = torch.arange(w, dtype=torch.float32) + 0.5
    x0, y0, x1, y1 = boxes[:, 0:1], boxes[:, 1:2], boxes[:, 2:3], boxes[:, 3:4]
    gy = (ys[None] - y0) / (y1 - y0) * 2 - 1
    gx = (xs[None] - x0) / (x1 - x0) * 2 - 1
    grid = torch.stack([gx[:, None, :].expand(n, h, w), gy[:, :, None].expand(n, h, w)], dim=3)
    out["paste.detectron2"] = F.grid_sample(masks, grid, align_corners=False)[:, 0]


if __name__ == "__main__":
    main()
