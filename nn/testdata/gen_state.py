#!/usr/bin/python3
"""Writes torch_state.safetensors and torch_state.json: the state dict of a
small torch module that uses every nn layer (nested names, Sequential
indices, BatchNorm2d after one training step so its running stats and
num_batches_tracked are non-trivial, torchvision's FrozenBatchNorm2d, a
transposed conv, a linear layer), and the module's outputs on a fixed input
in eval and training mode. nn's Go tests build the same module, load the
file strictly and compare the outputs.

The safetensors Python package is not installed here, so the file is
written by a small hand-written writer (the format is an 8-byte header
length, JSON header, raw little-endian bytes).

Run from this folder: /usr/bin/python3 gen_state.py
"""
import json
import struct

import torch
import torchvision
from torch import nn

torch.manual_seed(7)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.GroupNorm(2, 6), nn.ReLU())
        self.frozen = torchvision.ops.FrozenBatchNorm2d(6)
        self.deconv = nn.ConvTranspose2d(6, 4, 2, stride=2)
        self.fc = nn.Linear(4 * 6 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.frozen(self.layer(x))
        x = self.deconv(x)
        return self.fc(x.reshape(x.shape[0], -1))


net = Net()
with torch.no_grad():
    for name, t in list(net.named_parameters()) + list(net.named_buffers()):
        if name.endswith("num_batches_tracked"):
            continue
        if "running_var" in name:
            t.copy_(torch.rand_like(t) + 0.5)
        else:
            t.copy_(torch.randn_like(t) * 0.5)

x_train = torch.randn(2, 3, 6, 4)
net.train()
with torch.no_grad():
    net(x_train)  # one step of running statistics; num_batches_tracked = 1

x = torch.randn(2, 3, 6, 4)
net.eval()
with torch.no_grad():
    y_eval = net(x)
net.train()
with torch.no_grad():
    bn_state = {k: v.clone() for k, v in net.state_dict().items()}
    y_train = net(x)

DT = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": DT[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


state = dict(bn_state)
# What a checkpoint converted from BatchNorm2d carries; torchvision's
# FrozenBatchNorm2d drops it on load, and so must ours.
state["frozen.num_batches_tracked"] = torch.tensor(3, dtype=torch.int64)
write_safetensors("torch_state.safetensors", state, {"format": "pt", "source": "gen_state.py"})


def t2j(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


with open("torch_state.json", "w") as f:
    json.dump({"torch": torch.__version__, "x": t2j(x), "y_eval": t2j(y_eval), "y_train": t2j(y_train),
               "keys": list(bn_state.keys())}, f, separators=(",", ":"))
    f.write("\n")
