#!/usr/bin/python3
"""PyTorch timings matching tensor/norm_bench_test.go (forward + backward on
[2, 64, 128, 128]); run with OPENBLAS_NUM_THREADS=2 /usr/bin/python3 norm_bench.py
and compare with go test ./tensor -run X -bench Norm. Prints the median ms."""
import statistics
import time

import torch
import torchvision

torch.set_num_threads(2)
torch.manual_seed(0)
x = (torch.rand(2, 64, 128, 128) * 2 - 1).requires_grad_(True)
g = torch.rand(2, 64, 128, 128) * 2 - 1
bn = torch.nn.BatchNorm2d(64).train()
fbn = torchvision.ops.FrozenBatchNorm2d(64)
gn = torch.nn.GroupNorm(32, 64)


def bench(name, f, reps=30):
    for _ in range(3):
        f(x).backward(g)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f(x).backward(g)
        x.grad = None
        ts.append(time.perf_counter() - t)
    print("%-22s %7.2f ms" % (name, 1e3 * statistics.median(ts)))


bench("BatchNorm2dTrain", bn)
bench("FrozenBatchNorm2d", fbn)
bench("GroupNorm32", gn)
