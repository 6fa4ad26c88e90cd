#!/usr/bin/python3
"""Writes conv_golden.json: PyTorch references for the conv-family ops.

Run from this folder with Debian's torch: /usr/bin/python3 gen_conv.py
Cases: conv2d (stride, padding, dilation, groups, 1x1, with and without
bias), conv_transpose2d (stride 2 with output_padding, groups, dilation),
max_pool2d (3x3 s2 p1 with ties, 1x1 s2), nearest interpolate (x2, odd
up-sizes, down-size). Each case stores the inputs, the output and the
gradients of every input for a fixed output gradient dy. Inputs come from
a seeded generator and are stored, so the Go test needs nothing else.
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(20240612)


def t2j(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float("%.7g" % v) for v in t.reshape(-1).tolist()]}


def rounded(*shape, quant=1000):
    # Short decimals keep the fixture small and are exact enough in float32
    # that both sides compute on the same inputs; a coarse quant produces
    # ties (max pool).
    return torch.round(torch.randn(*shape) * quant) / quant


def leaf(*shape, quant=1000):
    return rounded(*shape, quant=quant).requires_grad_(True)


cases = []


def run(name, fn, inputs, **params):
    out = fn(*inputs)
    dy = rounded(*out.shape)
    out.backward(dy)
    tensors = {"y": t2j(out), "dy": t2j(dy)}
    for key, t in zip(["x", "w", "b"], inputs):
        if t is None:
            continue
        tensors[key] = t2j(t)
        tensors["d" + key] = t2j(t.grad)
    cases.append({"name": name, "params": params, "tensors": tensors})


def conv(name, x, w, b, stride, padding, dilation, groups):
    run(name, lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        [leaf(*x), leaf(*w), leaf(b) if b else None],
        stride=stride, padding=padding, dilation=dilation, groups=groups)


def convt(name, x, w, b, stride, padding, output_padding, dilation, groups):
    run(name, lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
        [leaf(*x), leaf(*w), leaf(b) if b else None],
        stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)


conv("conv_s2_p1_g2_bias", (2, 4, 5, 6), (6, 2, 3, 3), 6, [2, 2], [1, 1], [1, 1], 2)
conv("conv_d2_p2_nobias", (1, 3, 7, 8), (2, 3, 3, 3), 0, [1, 1], [2, 2], [2, 2], 1)
conv("conv_1x1_s2_bias", (1, 5, 7, 6), (3, 5, 1, 1), 3, [2, 2], [0, 0], [1, 1], 1)
conv("conv_1x1_nobias", (2, 6, 3, 5), (4, 6, 1, 1), 0, [1, 1], [0, 0], [1, 1], 1)
conv("conv_7x7_s2_p3", (1, 2, 9, 8), (2, 2, 7, 7), 2, [2, 2], [3, 3], [1, 1], 1)
conv("conv_asym", (1, 4, 6, 9), (4, 2, 2, 3), 4, [1, 2], [0, 1], [2, 1], 2)

convt("convt_s2_p1_op1_bias", (1, 4, 4, 5), (4, 3, 3, 3), 3, [2, 2], [1, 1], [1, 1], [1, 1], 1)
convt("convt_k2_s2_g2", (2, 4, 3, 3), (4, 2, 2, 2), 4, [2, 2], [0, 0], [0, 0], [1, 1], 2)
convt("convt_d2_nobias", (1, 3, 4, 3), (3, 2, 3, 2), 0, [1, 2], [1, 0], [0, 1], [2, 2], 1)

for name, x, k, s, p in [("maxpool_3x3_s2_p1", (2, 3, 9, 7), 3, 2, 1),
                         ("maxpool_1x1_s2", (1, 2, 5, 6), 1, 2, 0),
                         ("maxpool_2x2_s2", (1, 2, 6, 6), 2, 2, 0)]:
    run(name, lambda x: F.max_pool2d(x, k, s, p), [leaf(*x, quant=2)], kernel=[k, k], stride=[s, s], padding=[p, p])

for name, x, size in [("up_x2", (1, 2, 3, 4), (6, 8)),
                      ("up_odd", (1, 2, 5, 3), (7, 11)),
                      ("up_big_odd", (1, 1, 7, 5), (25, 17)),
                      ("down", (2, 1, 6, 7), (4, 3))]:
    run(name, lambda x: F.interpolate(x, size=size, mode="nearest"), [leaf(*x)], size=list(size))

with open("conv_golden.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
