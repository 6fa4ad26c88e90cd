#!/usr/bin/python3
"""Writes ops_golden.json: PyTorch reference values for the tensor package's
losses, (log-)softmax and index ops, forward and backward.

Run from anywhere with Debian's PyTorch (the python3 on PATH may lack torch):

    /usr/bin/python3 tensor/testdata/gen_ops.py

Inputs come from a seeded generator and are stored in the fixture, so the Go
test (ops_golden_test.go) feeds exactly these values to our ops. Backward
values are the gradients of sum(out * r) for a stored weight r (or of the
scalar loss itself). Every tensor is {"shape": [...], "data": [...]}.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240601)


def t(x):
    """A tensor with 7 significant digits (the Go test allows 1e-5 relative)."""
    x = x.detach().to(torch.float32)
    return {"shape": list(x.shape), "data": [float("%.7g" % v) for v in x.reshape(-1).tolist()]}


def rounded(x):
    """Inputs are rounded to 3 decimals so the stored text is exact."""
    return torch.round(x * 1000) / 1000


def leaf(*shape, scale=1.0):
    return rounded(torch.randn(*shape, dtype=torch.float32) * scale).requires_grad_(True)


cases = {}


def softmax_case(name, shape, axis, log):
    x = leaf(*shape, scale=3.0)
    y = F.log_softmax(x, dim=axis) if log else F.softmax(x, dim=axis)
    r = rounded(torch.randn(*shape))
    (y * r).sum().backward()
    cases[name] = {"axis": axis, "x": t(x), "r": t(r), "y": t(y), "dx": t(x.grad)}


softmax_case("log_softmax_last", (4, 7), -1, True)
softmax_case("log_softmax_mid", (2, 4, 3), 1, True)
softmax_case("softmax_mid", (2, 4, 3), 1, False)


def ce_case(name, n, c, targets, ignore):
    x = leaf(n, c, scale=2.0)
    tg = torch.tensor(targets, dtype=torch.int64)
    loss = F.cross_entropy(x, tg, ignore_index=ignore)
    loss.backward()
    cases[name] = {"ignore": ignore, "targets": targets, "x": t(x), "loss": t(loss), "dx": t(x.grad)}


ce_case("ce_ignore_default", 8, 5, [0, 4, -100, 2, 2, -100, 1, 3], -100)
ce_case("ce_ignore_class", 6, 4, [1, 2, 0, 2, 3, 1], 2)

# BCE with logits: include very large magnitudes (stability) and soft targets.
x = leaf(3, 5, scale=3.0)
with torch.no_grad():
    x[0, 0], x[0, 1], x[1, 2], x[2, 3] = 40.0, -40.0, 100.0, -95.0
tg = rounded(torch.rand(3, 5))
with torch.no_grad():
    tg[0, :3] = torch.tensor([1.0, 0.0, 1.0])
tg.requires_grad_(True)
loss = F.binary_cross_entropy_with_logits(x, tg)
loss.backward()
cases["bce_with_logits"] = {"x": t(x), "t": t(tg), "loss": t(loss), "dx": t(x.grad), "dt": t(tg.grad)}


def smooth_l1_case(name, beta, reduction):
    p = leaf(4, 3, scale=0.3)
    q = rounded(torch.randn(4, 3) * 0.3)
    q.requires_grad_(True)
    d = (p - q).abs()
    assert (d - beta).abs().min() > 1e-3 and d.min() > 1e-3
    loss = F.smooth_l1_loss(p, q, beta=beta, reduction=reduction)
    loss.backward()
    cases[name] = {"beta": beta, "reduction": reduction, "pred": t(p), "target": t(q),
                   "loss": t(loss), "dpred": t(p.grad), "dtarget": t(q.grad)}


smooth_l1_case("smooth_l1_beta_ninth_sum", 1.0 / 9.0, "sum")
smooth_l1_case("smooth_l1_beta_ninth_mean", 1.0 / 9.0, "mean")
smooth_l1_case("smooth_l1_beta0_mean", 0.0, "mean")
smooth_l1_case("smooth_l1_beta0_sum", 0.0, "sum")

# torch.gather / scatter_add / index_select with repeated indices and an
# index smaller than the input on the other axes.
x = leaf(2, 5, 3)
idx = torch.tensor([[[0, 4, 4], [2, 2, 1]], [[3, 0, 0], [1, 4, 4]]], dtype=torch.int64)  # [2,2,3], axis 1
y = torch.gather(x, 1, idx)
r = rounded(torch.randn(*y.shape))
(y * r).sum().backward()
cases["gather_axis1"] = {"axis": 1, "x": t(x), "idx": idx.reshape(-1).tolist(), "idx_shape": list(idx.shape),
                         "r": t(r), "y": t(y), "dx": t(x.grad)}

dst = leaf(4, 3)
src = leaf(2, 3)
idx = torch.tensor([[3, 0, 3], [3, 1, 0]], dtype=torch.int64)  # [2,3], axis 0
y = dst.scatter_add(0, idx, src)
r = rounded(torch.randn(*y.shape))
(y * r).sum().backward()
cases["scatter_add_axis0"] = {"axis": 0, "dst": t(dst), "src": t(src), "idx": idx.reshape(-1).tolist(),
                              "idx_shape": list(idx.shape), "r": t(r), "y": t(y), "ddst": t(dst.grad),
                              "dsrc": t(src.grad)}

x = leaf(3, 4, 2)
sel = [3, 0, 3, 3, 1]
y = torch.index_select(x, 1, torch.tensor(sel))
r = rounded(torch.randn(*y.shape))
(y * r).sum().backward()
cases["index_select_axis1"] = {"axis": 1, "x": t(x), "idx": sel, "r": t(r), "y": t(y), "dx": t(x.grad)}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_golden.json")
with open(out, "w") as fh:
    json.dump({"generator": "tensor/testdata/gen_ops.py", "torch": torch.__version__, "cases": cases}, fh,
              separators=(",", ":"), sort_keys=True)
    fh.write("\n")
print("wrote", out, os.path.getsize(out), "bytes")
