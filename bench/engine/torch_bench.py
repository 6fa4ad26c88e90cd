#!/usr/bin/python3
"""PyTorch side of the engine benchmark (bench/engine): the same workloads
as main.go, timed the same way, one JSON line per workload on stdout.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 torch_bench.py conv|bottleneck REPS [THREADS]

conv:       one 3x3 conv 64->64, padding 1, on 1x64x128x128, no bias.
bottleneck: ResNet-50 bottleneck with identity shortcut on 1x256x56x56:
            relu(bn(conv1x1 64->256)(relu(bn(conv3x3 64->64)(relu(bn(conv1x1 256->64)(x))))) + x),
            training-mode batch norm.
A step is forward, mean(), backward (gradients of x and every parameter).
Reports wall time and process CPU time (all threads) per step.
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F

mode = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


base_rss = rss_kb()
if mode == "conv":
    C, H, W = 64, 128, 128
    x = torch.randn(1, C, H, W, requires_grad=True)
    w = torch.randn(C, C, 3, 3, requires_grad=True)
    params = [x, w]
    flop = 3 * 2.0 * C * C * 9 * H * W

    def fwd():
        return F.conv2d(x, w, padding=1)
else:
    C, M, H, W = 256, 64, 56, 56
    x = torch.randn(1, C, H, W, requires_grad=True)
    w1 = torch.randn(M, C, 1, 1, requires_grad=True)
    w2 = torch.randn(M, M, 3, 3, requires_grad=True)
    w3 = torch.randn(C, M, 1, 1, requires_grad=True)
    gb = [(torch.ones(c, requires_grad=True), torch.zeros(c, requires_grad=True)) for c in (M, M, C)]
    stats = [(torch.zeros(c), torch.ones(c)) for c in (M, M, C)]
    params = [x, w1, w2, w3] + [t for p in gb for t in p]
    flop = 3 * 2.0 * (C * M + M * M * 9 + M * C) * H * W

    def bn(h, i):
        return F.batch_norm(h, stats[i][0], stats[i][1], gb[i][0], gb[i][1], training=True, momentum=0.1, eps=1e-5)

    def fwd():
        h = F.relu(bn(F.conv2d(x, w1), 0))
        h = F.relu(bn(F.conv2d(h, w2, padding=1), 1))
        h = bn(F.conv2d(h, w3), 2)
        return F.relu(h + x)


def step():
    for p in params:
        p.grad = None
    fwd().mean().backward()


step()
step()
ts, cs = [], []
for _ in range(reps):
    c = time.process_time()  # CPU time of the whole process, all threads
    t = time.perf_counter()
    step()
    ts.append(time.perf_counter() - t)
    cs.append(time.process_time() - c)
ts.sort()
cs.sort()
med = ts[len(ts) // 2]
print(json.dumps({
    "side": "torch " + torch.__version__, "workload": mode, "reps": reps, "threads": torch.get_num_threads(),
    "median_ms": med * 1e3, "best_ms": ts[0] * 1e3, "gflops_median": flop / med / 1e9,
    "cpu_ms_median": cs[len(cs) // 2] * 1e3, "cpu_ms_best": cs[0] * 1e3,
    "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "base_rss_kb": base_rss,
}))
