#!/usr/bin/python3
"""Times torchvision 0.14's ResNet-50-FPN backbone on one 3x512x512 image,
the PyTorch side of fpn/bench_test.go.

Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench_fpn.py [--steps 5]
Prints the median wall seconds (*_s) and process CPU seconds (*_cpu_s,
user + system, less distorted by a shared machine's load) of: forward (FrozenBN, no grad, eval); forward +
backward of the sum of all outputs with BatchNorm2d and all stages
trainable; the same with FrozenBN and conv1+layer1 frozen.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.misc import FrozenBatchNorm2d

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
x = torch.rand(1, 3, 512, 512)


def median(fn):
    fn()  # warm-up
    ts, cs = [], []
    for _ in range(a.steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return round(statistics.median(ts), 3), round(statistics.median(cs), 3)


res = {"torch": torch.__version__, "threads": torch.get_num_threads()}
m = resnet_fpn_backbone(backbone_name="resnet50", weights=None, norm_layer=FrozenBatchNorm2d, trainable_layers=3).eval()
with torch.no_grad():
    res["forward_s"], res["forward_cpu_s"] = median(lambda: m(x))


def train_step(model):
    def f():
        loss = sum(o.sum() for o in model(x).values())
        loss.backward()
    return f


m = resnet_fpn_backbone(backbone_name="resnet50", weights=None, norm_layer=nn.BatchNorm2d, trainable_layers=5).train()
res["fwd_bwd_bn_s"], res["fwd_bwd_bn_cpu_s"] = median(train_step(m))
m = resnet_fpn_backbone(backbone_name="resnet50", weights=None, norm_layer=FrozenBatchNorm2d, trainable_layers=3).train()
res["fwd_bwd_frozen_s"], res["fwd_bwd_frozen_cpu_s"] = median(train_step(m))
print(json.dumps(res))
