#!/usr/bin/env python3
"""Time COCO evaluation end to end, back to back: pycocotools, faster-coco-eval
(when importable) and `detect-train eval`, on the same files.

End to end = load the ground truth + load the results (loadRes) + evaluate +
accumulate + summarize. The Python tools are timed in-process (interpreter
start and imports excluded); detect-train is timed as a whole process
(start-up, JSON parsing and printing included), so the ratio is conservative.
It also checks that the 12 stats agree: detect-train must equal pycocotools
exactly; faster-coco-eval's largest difference is printed.

    go build -o /tmp/detect-train ./cmd/detect-train
    PYCOCOTOOLS=/tmp/pp/PythonAPI FASTER_COCO_EVAL=/tmp/fce \
      /usr/bin/python3 bench/eval/bench.py --gt GT.json --bbox bbox.json --segm segm.json \
      --bin /tmp/detect-train --reps 5
"""
import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--gt", required=True)
ap.add_argument("--bbox")
ap.add_argument("--segm")
ap.add_argument("--bin", default="/tmp/detect-train")
ap.add_argument("--reps", type=int, default=5)
args = ap.parse_args()

sys.path.insert(0, os.environ.get("PYCOCOTOOLS", "/tmp/pp/PythonAPI"))
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

fce = None
if os.environ.get("FASTER_COCO_EVAL"):
    sys.path.insert(0, os.environ["FASTER_COCO_EVAL"])
    try:
        import faster_coco_eval as fce  # noqa: E402
    except ImportError as e:
        print("faster-coco-eval not importable:", e)

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def run_pycocotools(gt, dt, typ):
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO(gt)
        d = g.loadRes(dt)
        E = COCOeval(g, d, typ)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return time.perf_counter() - t0, time.process_time() - c0, list(E.stats)


def run_fce(gt, dt, typ):
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        g = fce.COCO(gt)
        d = g.loadRes(dt)
        E = fce.COCOeval_faster(g, d, typ, print_function=lambda *a: None)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return time.perf_counter() - t0, time.process_time() - c0, list(E.stats[:12])


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_go(gt, dt, typ):
    t0, c0 = time.perf_counter(), child_cpu()
    out = subprocess.run([args.bin, "eval", "--gt", gt, "--dt", dt, "--iou-type", typ, "--json"],
                         check=True, capture_output=True, text=True).stdout
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    s = json.loads(out)
    return wall, cpu, [s[k] for k in KEYS]


print("load average:", " ".join("%.2f" % v for v in os.getloadavg()), "| cpus:", os.cpu_count())
for typ, dt in (("bbox", args.bbox), ("segm", args.segm)):
    if not dt:
        continue
    tools = [("pycocotools", run_pycocotools), ("detect-train", run_go)]
    if fce:
        tools.insert(1, ("faster-coco-eval", run_fce))
    times = {n: [] for n, _ in tools}
    cpus = {n: [] for n, _ in tools}
    stats = {}
    for _ in range(args.reps):  # back to back, interleaved
        for n, f in tools:
            t, c, s = f(args.gt, dt, typ)
            times[n].append(t)
            cpus[n].append(c)
            stats[n] = s
    ref = stats["pycocotools"]
    print("\n%s (%s), %d reps; wall: median [min..max] s, speed-up; CPU (user+sys): median s, ratio" % (
        typ, os.path.basename(dt), args.reps))
    for n, _ in tools:
        med, cmed = statistics.median(times[n]), statistics.median(cpus[n])
        diff = max(abs(a - b) for a, b in zip(stats[n], ref))
        print("  %-17s wall %7.3f [%.3f..%.3f] x%5.1f   cpu %7.3f x%5.1f   max |stat diff| %.3g" % (
            n, med, min(times[n]), max(times[n]), statistics.median(times["pycocotools"]) / med,
            cmed, statistics.median(cpus["pycocotools"]) / cmed, diff))
    if stats["detect-train"] != ref:
        print("  MISMATCH detect-train vs pycocotools:", stats["detect-train"], ref)
        sys.exit(1)
