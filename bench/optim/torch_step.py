#!/usr/bin/python3
"""PyTorch equivalent of optim's BenchmarkGCOverhead: one optimizer step over
torchvision's fasterrcnn_resnet50_fpn parameters (41.8M values, all
trainable), without GC (torch.optim.SGD / AdamW, foreach kernels) and with
GC on the gradient written as the reference code does it (per parameter:
grad (+ L2), subtract the mean over all axes but 0, then the torch update).
Rounds interleave the variants; medians in ms. Run with
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/optim/torch_step.py [rounds]
"""
import statistics
import sys
import time
import warnings

import torch
import torchvision

warnings.filterwarnings("ignore")
torch.set_num_threads(2)
torch.manual_seed(0)

model = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
params = [p for p in model.parameters()]
for p in params:
    p.requires_grad_(False)
    p.grad = torch.randn_like(p) * 0.01
n = sum(p.numel() for p in params)


def gc_(t):
    if t.dim() > 1:
        t.sub_(t.mean(dim=tuple(range(1, t.dim())), keepdim=True))


def sgd_plain():
    opt = torch.optim.SGD(params, lr=1e-6, momentum=0.9, weight_decay=1e-4, foreach=True)
    return opt.step


def sgd_gc():
    bufs = [None] * len(params)

    def step():
        with torch.no_grad():
            for i, p in enumerate(params):
                d = p.grad.add(p, alpha=1e-4)
                gc_(d)
                if bufs[i] is None:
                    bufs[i] = d.clone()
                else:
                    bufs[i].mul_(0.9).add_(d)
                p.add_(bufs[i], alpha=-1e-6)
    return step


def adamw_plain():
    opt = torch.optim.AdamW(params, lr=1e-6, weight_decay=1e-4, foreach=True)
    return opt.step


def adamw_gc():
    # GC on the gradient, then torch's AdamW update for each parameter.
    opt = torch.optim.AdamW(params, lr=1e-6, weight_decay=1e-4, foreach=True)
    raw = [p.grad for p in params]

    def step():
        with torch.no_grad():
            for p, g in zip(params, raw):
                c = g.clone()
                gc_(c)
                p.grad = c
        opt.step()
        for p, g in zip(params, raw):
            p.grad = g
    return step


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("torch %s, %d threads, %d parameters in %d tensors" % (torch.__version__, torch.get_num_threads(), n, len(params)))
    for name, variants in (("sgd", (sgd_plain(), sgd_gc())), ("adamw", (adamw_plain(), adamw_gc()))):
        for v in variants:
            v()  # allocate state
        t = [[], []]
        for _ in range(rounds):
            for j, v in enumerate(variants):
                t0 = time.perf_counter()
                v()
                t[j].append((time.perf_counter() - t0) * 1e3)
        ratio = statistics.median(b / a - 1 for a, b in zip(*t)) * 100
        print("torch %-6s plain %7.1f ms  gc %7.1f ms  gc overhead %+.0f%% (median of %d rounds)"
              % (name, statistics.median(t[0]), statistics.median(t[1]), ratio, rounds))


if __name__ == "__main__":
    main()
