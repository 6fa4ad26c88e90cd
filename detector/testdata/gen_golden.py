#!/usr/bin/python3
"""Writes golden_frcnn.safetensors: torchvision 0.14 eval-mode Faster R-CNN
outputs that detector/golden_test.go compares with ours.

Run from this folder with Debian's torch: /usr/bin/python3 gen_golden.py

The model is torchvision's FasterRCNN, shrunk so the fixture stays small:
ResNet-18 body with FrozenBatchNorm2d, BackboneWithFPN with 32 channels
(LastLevelMaxPool), the default FPN AnchorGenerator, RPNHead, the default
MultiScaleRoIAlign (P2-P5, 7x7, sampling ratio 2), TwoMLPHead with 128
units and FastRCNNPredictor for 3 foreground classes; every other setting is
fasterrcnn_resnet50_fpn's (RPN test top-n 1000/1000, NMS 0.7, score
threshold 0.05, NMS 0.5, 100 detections).

Weights. Tensors of more than 4096 values (conv and fc weights) are not
stored: both sides compute them from a formula. For the key `name` and
row-major element i,
    seed = FNV-1a-64(name)
    z    = splitmix64(seed + i)            (uint64 arithmetic)
    u    = (z >> 40) / 2**24               (exact, in [0, 1))
    w[i] = float32(bound * (2u - 1))       (float64 product, then float32)
with one `bound` per key, listed in the metadata entry "bounds" (JSON). The
bounds are kaiming-uniform ones, except for the predictors, rescaled here
(and their biases set to center each output channel) so that the RPN
logits have std 2 around -1, its deltas 0.15, the class logits std 2.5
(background +1) and the box deltas 0.5: outputs are then far from
saturation and the detections are varied. Every smaller tensor (biases, FrozenBN buffers) is
stored under "param.<key>"; the FrozenBN statistics are calibrated by one
training-mode BatchNorm pass on the input (momentum 1), so activations stay
of order one through the body.

Input: two images, 3x96x128 and 3x80x112, padded to one 2x3x96x128 batch
(zeros), each pixel u(seed FNV("image"), index)-0.5 plus the rectangles
listed in the metadata entry "rects" (image, x1, y1, x2, y2, value per
channel) added on top, computed as above in float64 then rounded.

Stored outputs (float32):
    input.every7                every 7th value of the [2, 3, 96, 128] input
                                (to check the formula)
    features.<name>             [2, 32, Hl, Wl] for 0, 1, 2, 3, pool
    rpn.objectness              [2, T]     head logits, in anchor order
    rpn.deltas                  [2, T, 4]
    rpn.proposals.<i>           [Ri, 4]    eval-mode proposals of image i
    rpn.scores.<i>              [Ri]       their objectness probabilities
    roi.class_logits            [R, 4]     box head on those proposals
    roi.box_regression          [R, 16]
    det.boxes.<i>, det.scores.<i>, det.labels.<i>     roi_heads detections
    final.boxes.<i>             [Di, 4]    after transform.postprocess to
                                           the original sizes (metadata
                                           "original_sizes")

Training case: the same model in training mode with the ground truth of
metadata "targets", and both samplers set to take every labeled anchor and
RoI (batch size 10**7, positive fraction 1), so that no random draw is
involved and losses and gradients are comparable:
    train.proposals.<i>         [Pi, 4]    training-mode proposals (2000/2000)
    train.loss.<name>           []         loss_objectness, loss_rpn_box_reg,
                                           loss_classifier, loss_box_reg
    train.grad.<key>            gradient of the sum of the four losses for
                                every 1-d trainable parameter
"""
import json
import struct

import numpy as np
import torch
from torch import nn
from torchvision.models import resnet
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

torch.set_grad_enabled(False)

M64 = (1 << 64) - 1
FPN_CH, REP, NUM_CLASSES = 32, 128, 3
SIZES = [(96, 128), (80, 112)]
PADDED = (96, 128)
ORIGINAL_SIZES = [(120, 160), (60, 140)]
TARGETS = [
    ([[10, 12, 50, 60], [70, 30, 120, 90], [40, 50, 64, 70]], [1, 2, 3]),
    ([[5, 5, 40, 30], [50, 20, 100, 70]], [2, 1]),
]
RECTS = [
    (0, 10, 12, 50, 60, (1.5, -0.5, 0.8)),
    (0, 70, 30, 120, 90, (-1.0, 1.2, 0.3)),
    (0, 40, 50, 64, 70, (0.2, 0.9, -1.4)),
    (1, 5, 5, 40, 30, (0.9, 0.9, -0.6)),
    (1, 50, 20, 100, 70, (-1.2, -0.3, 1.1)),
]


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & M64
    return h


def uniform(name, n):
    with np.errstate(over="ignore"):
        z = np.arange(n, dtype=np.uint64) + np.uint64(fnv1a64(name))
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def formula(name, shape, bound):
    n = int(np.prod(shape))
    v = bound * (2 * uniform(name, n) - 1)
    return torch.from_numpy(v.astype(np.float32)).reshape(shape)


def make_input():
    x = torch.zeros(2, 3, *PADDED)
    u = uniform("image", 2 * 3 * PADDED[0] * PADDED[1]).reshape(2, 3, *PADDED) - 0.5
    for i, (h, w) in enumerate(SIZES):
        img = u[i, :, :h, :w].copy()
        for (j, x1, y1, x2, y2, val) in RECTS:
            if j == i:
                for c in range(3):
                    img[c, y1:y2, x1:x2] += val[c]
        x[i, :, :h, :w] = torch.from_numpy(img.astype(np.float32))
    return x


def build(norm_layer):
    body = resnet.resnet18(weights=None, norm_layer=norm_layer)
    backbone = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
                               [64, 128, 256, 512], FPN_CH, extra_blocks=LastLevelMaxPool())
    model = FasterRCNN(backbone, num_classes=None, min_size=96, max_size=128,
                       box_head=TwoMLPHead(FPN_CH * 7 * 7, REP),
                       box_predictor=FastRCNNPredictor(REP, NUM_CLASSES + 1))
    return model


def fan_in(shape):
    return int(np.prod(shape[1:]))


def main():
    x = make_input()
    bounds, small = {}, {}

    # 1. Body with BatchNorm2d: formula convs, BN statistics calibrated on x.
    calib = build(nn.BatchNorm2d)
    sd = calib.state_dict()
    for k, v in sd.items():
        if v.dim() >= 2:
            bounds[k] = (6.0 / fan_in(v.shape)) ** 0.5  # kaiming uniform, ReLU gain
            if ".fpn." in k or k.startswith("rpn.head.conv"):
                bounds[k] = (3.0 / fan_in(v.shape)) ** 0.5
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

    # 2. The real model with FrozenBatchNorm2d.
    model = build(FrozenBatchNorm2d)
    model.eval()
    msd = model.state_dict()
    csd = calib.state_dict()
    for k, v in msd.items():
        v.copy_(csd[k].to(v.dtype))

    features = model.backbone(x)
    flist = list(features.values())

    # 3. Calibrate the predictors on the actual activations: per output
    #    channel centered by the bias (plus an offset), overall std target.
    def rescale(prefix, out, target, offset=None):
        """out: [rows, channels] outputs without bias."""
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

    # 4. Outputs.
    out = {"input.every7": x.reshape(-1)[::7].clone()}
    for k, v in features.items():
        out["features." + k] = v
    obj, deltas = model.rpn.head(flist)
    obj, deltas = concat_box_prediction_layers(obj, deltas)
    out["rpn.objectness"] = obj.reshape(2, -1)
    out["rpn.deltas"] = deltas.reshape(2, -1, 4)

    # The RPN's eval path, with the scores it drops recomputed alongside.
    proposals, _ = model.rpn(images, features)
    boxes_scores = rpn_scores(model, images, features)
    for i, (b, s) in enumerate(boxes_scores):
        assert torch.equal(b, proposals[i])
        out[f"rpn.proposals.{i}"] = b
        out[f"rpn.scores.{i}"] = s

    bf = rh.box_head(rh.box_roi_pool(features, proposals, SIZES))
    logits, reg = rh.box_predictor(bf)
    out["roi.class_logits"] = logits
    out["roi.box_regression"] = reg
    dets, _ = rh(features, proposals, SIZES)
    for i, d in enumerate(dets):
        out[f"det.boxes.{i}"] = d["boxes"].clone()
        out[f"det.scores.{i}"] = d["scores"]
        out[f"det.labels.{i}"] = d["labels"].to(torch.float32)
    final = model.transform.postprocess(dets, SIZES, ORIGINAL_SIZES)
    for i, d in enumerate(final):
        out[f"final.boxes.{i}"] = d["boxes"]
        print(f"image {i}: {len(proposals[i])} proposals, {len(d['boxes'])} detections,"
              f" labels {torch.bincount(d['labels'], minlength=4).tolist()},"
              f" scores {float(d['scores'].min()):.3f}..{float(d['scores'].max()):.3f}")

    train_case(model, x, out)

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
        "source": "gen_golden.py, torch %s, torchvision 0.14" % torch.__version__,
    }
    write_safetensors("golden_frcnn.safetensors", tensors, meta)


def train_case(model, x, out):
    """Deterministic training pass (see the module docstring)."""
    from torchvision.models.detection._utils import BalancedPositiveNegativeSampler
    model.rpn.fg_bg_sampler = BalancedPositiveNegativeSampler(10**7, 1.0)
    model.roi_heads.fg_bg_sampler = BalancedPositiveNegativeSampler(10**7, 1.0)
    model.train()
    targets = [{"boxes": torch.tensor(b, dtype=torch.float32), "labels": torch.tensor(l, dtype=torch.int64)} for b, l in TARGETS]
    with torch.enable_grad():
        model.zero_grad()
        features = model.backbone(x)
        images = ImageList(x, SIZES)
        proposals, rpn_losses = model.rpn(images, features, targets)
        for i, p in enumerate(proposals):
            out[f"train.proposals.{i}"] = p.detach().clone()
        _, roi_losses = model.roi_heads(features, proposals, SIZES, targets)
        losses = {**rpn_losses, **roi_losses}
        total = sum(losses.values())
        total.backward()
    for k, v in losses.items():
        out["train.loss." + k] = v.detach().reshape(())
        print(f"train {k} = {float(v):.6f}")
    for k, p in model.named_parameters():
        if p.dim() == 1 and p.requires_grad:
            out["train.grad." + k] = p.grad.detach().clone()
    model.eval()


def rpn_scores(model, images, features):
    """RegionProposalNetwork.forward in eval mode, returning the scores too."""
    rpn = model.rpn
    flist = list(features.values())
    objectness, deltas = rpn.head(flist)
    anchors = rpn.anchor_generator(images, flist)
    num_anchors = [o[0].shape[0] * o[0].shape[1] * o[0].shape[2] for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    props = rpn.box_coder.decode(deltas.detach(), anchors).view(len(anchors), -1, 4)
    boxes, scores = rpn.filter_proposals(props, objectness, images.image_sizes, num_anchors)
    return list(zip(boxes, scores))


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    main()
