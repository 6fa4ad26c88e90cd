#!/usr/bin/python3
"""torchvision's image pipeline on a folder of JPEGs, the yardstick for gcdet's coco loader.

PIL decode + convert("RGB") -> Resize(800, max_size=1333) (PIL bilinear, antialiased) ->
RandomHorizontalFlip(0.5) -> ToTensor -> Normalize(ImageNet mean/std), one image per step.
--workers 1 runs in the main process (num_workers=0) with torch.set_num_threads(1);
--workers N > 1 uses a DataLoader with N persistent worker processes (started before timing), each with one
torch thread; tensors come back through shared memory as in training.
Prints one JSON line: images per second for each repetition and their median.

Run with Debian's interpreter: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/data/torchvision_pipeline.py --images DIR
"""
import argparse, json, os, statistics, time

import torch
import torchvision.transforms as T
from PIL import Image


class Folder(torch.utils.data.Dataset):
    def __init__(self, files, tf):
        self.files, self.tf = files, tf

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as im:
            return self.tf(im.convert("RGB"))


def worker_init(_):
    torch.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    files = sorted(os.path.join(a.images, f) for f in os.listdir(a.images) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if a.limit:
        files = files[: a.limit]
    tf = T.Compose([T.Resize(800, max_size=1333), T.RandomHorizontalFlip(0.5), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = Folder(files, tf)
    dl = None
    if a.workers > 1:
        # Persistent workers: process start-up is paid once, before the timed passes.
        dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=a.workers, worker_init_fn=worker_init,
                                         prefetch_factor=2, persistent_workers=True)
        for i, x in enumerate(dl):
            if i == 2 * a.workers:
                break
    rates, cpu_ms = [], []
    for _ in range(a.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        if dl is None:
            s = 0.0
            for i in range(len(ds)):
                s += float(ds[i][0, 0, 0])
        else:
            for x in dl:
                pass
        rates.append(len(ds) / (time.perf_counter() - t0))
        # CPU time of this process per image (meaningful with --workers 1, where all work is in-process).
        cpu_ms.append(1000 * (time.process_time() - c0) / len(ds))
    print(json.dumps({"impl": "torchvision", "torch": torch.__version__, "workers": a.workers, "images": len(ds),
                      "images_per_s": rates, "median": statistics.median(rates), "cpu_ms_per_image": cpu_ms}))


if __name__ == "__main__":
    main()
