#!/usr/bin/python3
"""Writes norm_golden.json: PyTorch references for the normalization ops.

Run from this folder with Debian's torch: /usr/bin/python3 gen_norm.py
Cases: BatchNorm2d training (output, running stats after the step, grads of
x/weight/bias), BatchNorm2d eval, torchvision FrozenBatchNorm2d, GroupNorm
with 1, 2 and C groups. Each case backpropagates a fixed random dy.
"""
import json

import torch
import torchvision

torch.manual_seed(20240611)


def t2j(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def leaf(*shape, scale=1.0, offset=0.0):
    return (torch.randn(*shape) * scale + offset).requires_grad_(True)


cases = []

# BatchNorm2d, training mode: one step from non-trivial running stats.
N, C, H, W = 3, 5, 4, 3
bn = torch.nn.BatchNorm2d(C, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(torch.randn(C))
    bn.bias.copy_(torch.randn(C))
    bn.running_mean.copy_(torch.randn(C))
    bn.running_var.copy_(torch.rand(C) + 0.5)
x = leaf(N, C, H, W, scale=2.0, offset=0.5)
rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
bn.train()
y = bn(x)
dy = torch.randn_like(y)
y.backward(dy)
cases.append({"name": "bn_train", "momentum": 0.1, "eps": 1e-5, "tensors": {
    "x": t2j(x), "weight": t2j(bn.weight), "bias": t2j(bn.bias),
    "running_mean": t2j(rm0), "running_var": t2j(rv0), "dy": t2j(dy), "y": t2j(y),
    "running_mean_after": t2j(bn.running_mean), "running_var_after": t2j(bn.running_var),
    "dx": t2j(x.grad), "dweight": t2j(bn.weight.grad), "dbias": t2j(bn.bias.grad)}})

# BatchNorm2d, eval mode (running stats from the step above).
bn.eval()
bn.zero_grad()
x = leaf(2, C, 3, 5)
y = bn(x)
dy = torch.randn_like(y)
y.backward(dy)
cases.append({"name": "bn_eval", "momentum": 0.1, "eps": 1e-5, "tensors": {
    "x": t2j(x), "weight": t2j(bn.weight), "bias": t2j(bn.bias),
    "running_mean": t2j(bn.running_mean), "running_var": t2j(bn.running_var),
    "dy": t2j(dy), "y": t2j(y), "dx": t2j(x.grad), "dweight": t2j(bn.weight.grad),
    "dbias": t2j(bn.bias.grad)}})

# torchvision's FrozenBatchNorm2d (eps 1e-5, its default).
fbn = torchvision.ops.FrozenBatchNorm2d(C, eps=1e-5)
with torch.no_grad():
    fbn.weight.copy_(torch.randn(C))
    fbn.bias.copy_(torch.randn(C))
    fbn.running_mean.copy_(torch.randn(C))
    fbn.running_var.copy_(torch.rand(C) * 2 + 0.1)
x = leaf(2, C, 3, 5)
y = fbn(x)
dy = torch.randn_like(y)
y.backward(dy)
cases.append({"name": "frozen_bn", "eps": 1e-5, "tensors": {
    "x": t2j(x), "weight": t2j(fbn.weight), "bias": t2j(fbn.bias),
    "running_mean": t2j(fbn.running_mean), "running_var": t2j(fbn.running_var),
    "dy": t2j(dy), "y": t2j(y), "dx": t2j(x.grad)}})

# GroupNorm with 1, 2 and C groups.
C = 6
for groups in (1, 2, C):
    gn = torch.nn.GroupNorm(groups, C, eps=1e-5)
    with torch.no_grad():
        gn.weight.copy_(torch.randn(C))
        gn.bias.copy_(torch.randn(C))
    x = leaf(2, C, 3, 5, scale=1.5, offset=-0.3)
    y = gn(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    cases.append({"name": "group_norm_%d" % groups, "groups": groups, "eps": 1e-5, "tensors": {
        "x": t2j(x), "weight": t2j(gn.weight), "bias": t2j(gn.bias), "dy": t2j(dy),
        "y": t2j(y), "dx": t2j(x.grad), "dweight": t2j(gn.weight.grad), "dbias": t2j(gn.bias.grad)}})

with open("norm_golden.json", "w") as f:
    json.dump({"generator": "gen_norm.py", "torch": torch.__version__,
               "torchvision": torchvision.__version__, "cases": cases}, f, separators=(",", ":"))
    f.write("\n")
