#!/usr/bin/python3
"""Generate gc_fixture.json: step-for-step expectations for package optim.

Run with Debian's PyTorch: /usr/bin/python3 optim/testdata/gen_gc.py

A tiny model with detection-style parameter names (conv, frozen-free norm,
conv-transpose, linear, biases) is trained for a few steps on random data.
Each case records, per step, the gradients torch computed and the parameters
after the optimizer step. The Go test feeds the same gradients to its
optimizer and compares the parameters.

The GC optimizers below are written for this fixture from the paper
(Yong et al., ECCV 2020) and ../../shared/GC.md, not taken from the
authors' code; the cases without GC use torch.optim itself, so they pin
gcdet to PyTorch's semantics. Reference behaviour reproduced:
  * SGD_GC / SGD_GCC: grad (+ coupled L2), GC, momentum (buffer = copy of
    the first centralized gradient, dampening, Nesterov), step.
  * SGDW_GC: GC on the raw grad, momentum, step, p -= lr*wd*p_old.
  * Adam_GC: L2 into the grad, GC, moment updates (torch's Adam formulas).
  * "update" placement (GC2): GC of the final update, decoupled decay
    included; AdamW's decay is lr*wd as in torch.optim.AdamW.
  * conv-transpose weights (Cin, Cout, kh, kw): per output channel (mean
    over axes 0, 2, 3) by default; "input" = the authors' per-axis-0 mean.
"""
import base64
import json
import math
import os
import struct

import torch
import torch.nn as tnn

torch.manual_seed(0)
torch.set_num_threads(1)

STEPS = 4  # tensors are stored as base64 float32 (see b64) to keep the file small


class Tiny(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(4)
        self.rpn_conv = tnn.Conv2d(4, 2, 3, padding=1)
        self.mask = tnn.ConvTranspose2d(2, 3, 2, stride=2)
        self.fc6 = tnn.Linear(12, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.tanh(self.rpn_conv(x))
        x = self.mask(x)  # (N, 3, 8, 8)
        x = tnn.functional.adaptive_avg_pool2d(x, 2).flatten(1)  # (N, 12)
        return self.fc6(x)


# (gcdet name, kind, module attribute path)
NAMES = [
    ("backbone.body.conv1.weight", "conv", "conv1.weight"),
    ("backbone.body.bn1.weight", "norm", "bn1.weight"),
    ("backbone.body.bn1.bias", "norm", "bn1.bias"),
    ("rpn.head.conv.weight", "conv", "rpn_conv.weight"),
    ("rpn.head.conv.bias", "bias", "rpn_conv.bias"),
    ("roi_heads.mask_predictor.conv5_mask.weight", "conv-transpose", "mask.weight"),
    ("roi_heads.mask_predictor.conv5_mask.bias", "bias", "mask.bias"),
    ("roi_heads.box_head.fc6.weight", "linear", "fc6.weight"),
    ("roi_heads.box_head.fc6.bias", "bias", "fc6.bias"),
]
KIND = {n: k for n, k, _ in NAMES}

BASE = Tiny()
INIT = {n: dict(BASE.named_parameters())[a].detach().clone() for n, _, a in NAMES}
# Inputs and targets per step, the same for every case.
DATA = [(torch.randn(2, 3, 4, 4), torch.randn(2, 5)) for _ in range(STEPS)]


def fresh():
    m = Tiny()
    with torch.no_grad():
        for n, _, a in NAMES:
            dict(m.named_parameters())[a].copy_(INIT[n])
    params = [dict(m.named_parameters())[a] for _, _, a in NAMES]
    return m, params


def grads_at(m, params, step):
    for p in params:
        p.grad = None
    x, y = DATA[step]
    loss = ((m(x) - y) ** 2).mean() + 0.1 * (m(x) ** 3).mean()
    loss.backward()
    return [p.grad.detach().clone() for p in params]


def gc_wanted(cfg, name):
    gc = cfg.get("gc", {})
    scope = gc.get("scope", "all")
    if scope == "off":
        return False
    if scope == "backbone" and not name.startswith("backbone.body."):
        return False
    if scope == "prefixes" and not any(name.startswith(p) for p in gc["prefixes"]):
        return False
    kind = KIND[name]
    if kind in ("conv", "conv-transpose"):
        return True
    return kind == "linear" and gc.get("kinds", "conv+linear") != "conv"


def centralize(cfg, name, t):
    """GC of one tensor: each output unit's values minus their mean."""
    if not gc_wanted(cfg, name):
        return t
    if KIND[name] == "conv-transpose" and cfg.get("gc", {}).get("conv_transpose", "output") != "input":
        return t - t.mean(dim=(0, 2, 3), keepdim=True)
    return t - t.mean(dim=tuple(range(1, t.dim())), keepdim=True)


def group_of(cfg, name):
    for r in cfg.get("groups", []):
        if r.get("kinds") and KIND[name] not in r["kinds"]:
            continue
        if r.get("prefixes") and not any(name.startswith(p) for p in r["prefixes"]):
            continue
        return cfg["lr"] * r.get("lr_factor", 1.0), r.get("weight_decay", cfg["weight_decay"])
    return cfg["lr"], cfg["weight_decay"]


def sched_factor(s, t):
    if s is None:
        return 1.0
    f = 1.0
    if s["policy"] == "multistep":
        for m in s["milestones"]:
            if t >= m:
                f *= s["gamma"]
    w = s.get("warmup", {})
    if t < w.get("iters", 0):
        if w["method"] == "linear":
            a = t / w["iters"]
            f *= w["factor"] * (1 - a) + a
        else:
            f *= w["factor"]
    return f


class RefGC:
    """Reference SGD_GC / SGDW_GC / Adam_GC / AdamW_GC (+ GC2) on a list of params."""

    def __init__(self, cfg, params):
        self.cfg, self.params, self.state = cfg, params, [dict() for _ in params]

    @torch.no_grad()
    def step(self, t):
        c = self.cfg
        algo = c["algorithm"]
        upd_place = c.get("gc", {}).get("placement", "gradient") == "update"
        f = sched_factor(c.get("schedule"), t)
        for (name, _, _), p, st in zip(NAMES, self.params, self.state):
            lr, wd = group_of(c, name)
            lr *= f
            g = p.grad
            gcf = (lambda x: x) if upd_place else (lambda x: centralize(c, name, x))
            if algo in ("sgd", "sgdw"):
                d = g.add(p, alpha=wd) if (algo == "sgd" and wd != 0) else g.clone()
                d = gcf(d)
                mom = c.get("momentum", 0)
                if mom != 0:
                    if "buf" not in st:
                        st["buf"] = d.clone()
                    else:
                        st["buf"].mul_(mom).add_(d, alpha=1 - c.get("dampening", 0))
                    d = d.add(st["buf"], alpha=mom) if c.get("nesterov") else st["buf"]
                if upd_place:
                    u = lr * d
                    if algo == "sgdw":
                        u = u + lr * wd * p
                    p.sub_(centralize(c, name, u))
                else:
                    old = p.clone()
                    p.add_(d, alpha=-lr)
                    if algo == "sgdw" and wd != 0:
                        p.add_(old, alpha=-wd * lr)
            else:
                b1, b2, eps = c["beta1"], c["beta2"], c["eps"]
                if "m" not in st:
                    st["m"], st["v"], st["t"] = torch.zeros_like(p), torch.zeros_like(p), 0
                st["t"] += 1
                d = g.add(p, alpha=wd) if (algo == "adam" and wd != 0) else g.clone()
                d = gcf(d)
                st["m"].mul_(b1).add_(d, alpha=1 - b1)
                st["v"].mul_(b2).addcmul_(d, d, value=1 - b2)
                bc1, bc2 = 1 - b1 ** st["t"], 1 - b2 ** st["t"]
                denom = (st["v"].sqrt() / math.sqrt(bc2)).add_(eps)
                step_size = lr / bc1
                if upd_place:
                    u = step_size * st["m"] / denom
                    if algo == "adamw":
                        u = u + lr * wd * p
                    p.sub_(centralize(c, name, u))
                else:
                    if algo == "adamw":
                        p.mul_(1 - lr * wd)
                    p.addcdiv_(st["m"], denom, value=-step_size)


def torch_optimizer(cfg, params):
    a = cfg["algorithm"]
    if a == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], dampening=cfg.get("dampening", 0),
                               weight_decay=cfg["weight_decay"], nesterov=cfg.get("nesterov", False))
    cls = torch.optim.Adam if a == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
               weight_decay=cfg["weight_decay"])


def run_case(name, cfg, use_torch=False):
    m, params = fresh()
    opt = torch_optimizer(cfg, params) if use_torch else RefGC(cfg, params)
    steps = []
    for t in range(STEPS):
        grads = grads_at(m, params, t)
        norm = None
        if cfg.get("clip_grad_norm", 0) > 0:
            norm = float(tnn.utils.clip_grad_norm_(params, cfg["clip_grad_norm"]))
        if use_torch:
            opt.step()
        else:
            opt.step(t)
        steps.append({
            "grads": {n: b64(g) for (n, _, _), g in zip(NAMES, grads)},
            "params": {n: b64(p) for (n, _, _), p in zip(NAMES, params)},
            "grad_norm": norm,
        })
    return {"name": name, "torch_optim": use_torch, "config": cfg, "steps": steps}


SGD = {"algorithm": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2}
ADAM = {"algorithm": "adam", "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2}


def with_(base, **kw):
    d = json.loads(json.dumps(base))
    d.update(kw)
    return d


CASES = [
    ("sgd_gc", with_(SGD), False),
    ("sgd_gc_nesterov", with_(SGD, nesterov=True), False),
    ("sgd_gc_dampening", with_(SGD, dampening=0.5), False),
    ("sgd_gcc_conv_only", with_(SGD, gc={"kinds": "conv"}), False),
    ("sgd_gc_convt_input", with_(SGD, gc={"conv_transpose": "input"}), False),
    ("sgd_gc_backbone", with_(SGD, gc={"scope": "backbone"}), False),
    ("sgd_gc_prefixes", with_(SGD, gc={"scope": "prefixes", "prefixes": ["rpn.", "roi_heads.box_head."]}), False),
    ("sgd_gc2_update", with_(SGD, nesterov=True, gc={"placement": "update"}), False),
    ("sgdw_gc", with_(SGD, algorithm="sgdw"), False),
    ("sgdw_gc2_update", with_(SGD, algorithm="sgdw", gc={"placement": "update"}), False),
    ("adam_gc", with_(ADAM), False),
    ("adam_gc2_update", with_(ADAM, gc={"placement": "update"}), False),
    ("adamw_gc", with_(ADAM, algorithm="adamw"), False),
    ("adamw_gc2_update", with_(ADAM, algorithm="adamw", gc={"placement": "update"}), False),
    ("sgd_gc_clip_groups_schedule", with_(SGD, clip_grad_norm=0.05,
        groups=[{"name": "bias", "kinds": ["bias"], "lr_factor": 2.0, "weight_decay": 0.0},
                {"name": "norm", "kinds": ["norm"], "weight_decay": 0.0}],
        schedule={"policy": "multistep", "milestones": [3], "gamma": 0.1,
                  "warmup": {"method": "linear", "iters": 2, "factor": 1.0 / 3}}), False),
    ("torch_sgd_nesterov", with_(SGD, nesterov=True, gc={"scope": "off"}), True),
    ("torch_sgd_dampening", with_(SGD, dampening=0.3, gc={"scope": "off"}), True),
    ("torch_adam", with_(ADAM, gc={"scope": "off"}), True),
    ("torch_adamw", with_(ADAM, algorithm="adamw", gc={"scope": "off"}), True),
]


def schedule_cases():
    """LR factors from torch's own schedulers, iteration by iteration."""
    out = []

    def record(name, cfg, make, iters):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=1.0)
        sch = make(opt)
        f = []
        for _ in range(iters):
            f.append(opt.param_groups[0]["lr"])
            opt.step()
            sch.step()
        out.append({"name": name, "config": cfg, "factors": f})

    S = torch.optim.lr_scheduler
    record("linear_warmup_multistep",
           {"policy": "multistep", "milestones": [8, 11], "gamma": 0.1, "max_iter": 14,
            "warmup": {"method": "linear", "iters": 5, "factor": 1.0 / 3}},
           lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=1.0 / 3, total_iters=5),
                                         S.MultiStepLR(o, milestones=[8, 11], gamma=0.1)]), 14)
    record("constant_warmup_multistep",
           {"policy": "multistep", "milestones": [4], "gamma": 0.5, "max_iter": 8,
            "warmup": {"method": "constant", "iters": 3, "factor": 0.25}},
           lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.25, total_iters=3),
                                         S.MultiStepLR(o, milestones=[4], gamma=0.5)]), 8)
    record("cosine_min", {"policy": "cosine", "max_iter": 10, "min_factor": 0.1},
           lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.1), 11)
    record("linear_warmup_cosine",
           {"policy": "cosine", "max_iter": 12, "warmup": {"method": "linear", "iters": 4, "factor": 0.001}},
           lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.001, total_iters=4),
                                         S.CosineAnnealingLR(o, T_max=12)]), 13)
    return out


def b64(t):
    """A float32 tensor as base64 of its little-endian values (exact, compact)."""
    v = t.detach().to(torch.float32).flatten().tolist()
    return base64.b64encode(struct.pack("<%df" % len(v), *v)).decode("ascii")


def main():
    fixture = {
        "params": [{"name": n, "kind": k, "shape": list(INIT[n].shape), "init": b64(INIT[n])}
                   for n, k, _ in NAMES],
        "cases": [run_case(*c) for c in CASES],
        "schedules": schedule_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gc_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
