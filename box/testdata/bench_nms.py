#!/usr/bin/python3
"""Times torchvision 0.14's nms / batched_nms on the workloads of
box/bench_test.go (same integer hash, same boxes), for box/README.md.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 box/testdata/bench_nms.py

Prints the median wall time of several runs and the number of boxes kept
(compare with the Go benchmark's "kept" metric).
"""
import math
import statistics
import time

import torch
import torchvision
from torchvision.ops import batched_nms, nms

M32 = 0xFFFFFFFF


def hash32(i):
    x = (i * 0x9E3779B1 + 0x7F4A7C15) & M32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    x ^= x >> 16
    return x


def u(s, i):
    return hash32((i * 8 + s) & M32) / 2.0 ** 32


def bench_boxes(n, clustered):
    img_w, img_h = 1216.0, 800.0
    boxes, scores, levels = [], [], []
    for i in range(n):
        side = 16 * math.pow(32, u(0, i))
        ratio = [0.5, 1, 2][int(u(1, i) * 3)]
        w, h = side / math.sqrt(ratio), side * math.sqrt(ratio)
        if clustered:
            o = int(u(2, i) * 30)
            cx = u(3, o) * img_w + (u(4, i) - 0.5) * 0.3 * w
            cy = u(5, o) * img_h + (u(6, i) - 0.5) * 0.3 * h
        else:
            cx, cy = u(3, i) * img_w, u(5, i) * img_h
        boxes.append([max(cx - w / 2, 0), max(cy - h / 2, 0), min(cx + w / 2, img_w), min(cy + h / 2, img_h)])
        scores.append(u(7, i))
        levels.append(int(min(4, math.log2(side / 16))))
    return (torch.tensor(boxes, dtype=torch.float64).float(), torch.tensor(scores, dtype=torch.float64).float(),
            torch.tensor(levels))


def timeit(fn, reps):
    """Median wall and CPU (process) seconds of reps runs, and the last result."""
    fn()
    walls, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def report(name, fn, reps=7, kept=True):
    wall, cpu, out = timeit(fn, reps)
    extra = f", kept {out.numel()}" if kept else ""
    print(f"{name}: {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} cpu-ms{extra}")


def main():
    print("torch", torch.__version__, "torchvision", torchvision.__version__, "threads", torch.get_num_threads())
    for clustered in [False, True]:
        kind = "clustered" if clustered else "uniform"
        for n in [4000, 12000]:
            b, s, _ = bench_boxes(n, clustered)
            report(f"nms {kind}/N={n}", lambda: nms(b, s, 0.7))
        b, s, lv = bench_boxes(10000, clustered)
        report(f"batched_nms {kind}/N=10000", lambda: batched_nms(b, s, lv, 0.7))
    _, s, _ = bench_boxes(200000, False)
    report("topk N=200000/k=2000", lambda: s.topk(2000), 21, kept=False)
    a, _, _ = bench_boxes(100000, False)
    g, _, _ = bench_boxes(20, True)
    report("box_iou 20x100000", lambda: torchvision.ops.box_iou(g, a), 21, kept=False)


if __name__ == "__main__":
    main()
