#!/usr/bin/python3
"""Writes the .pth fixtures of train/pth and train (run with Debian's python3-torch):

  tiny_resnet.pth      a torchvision-format ResNet state dict (torch.save, zip format):
                       torchvision's BasicBlock ResNet layout (ResNet-18 keys) at base width 4,
                       random weights and BN statistics, an fc layer stored as a transposed
                       (non-contiguous) view, and an extra float16 tensor "extra.half"
  tiny_resnet_out.json the input (a formula both sides compute) and the eval-mode outputs of
                       layer1..layer4 (res2..res5) for that input

Usage: /usr/bin/python3 gen_pth.py   (from this folder)
"""
import json
import math

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock


class TinyResNet(nn.Module):
    """torchvision.models.ResNet's module tree with widths 4, 8, 16, 32."""

    def __init__(self, w=4, blocks=(2, 2, 2, 2)):
        super().__init__()
        self.inplanes = w
        self.conv1 = nn.Conv2d(3, w, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(w, blocks[0], 1)
        self.layer2 = self._make(2 * w, blocks[1], 2)
        self.layer3 = self._make(4 * w, blocks[2], 2)
        self.layer4 = self._make(8 * w, blocks[3], 2)
        self.fc = nn.Linear(8 * w, 10)

    def _make(self, planes, n, stride):
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, down)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            outs.append(x)
        return outs


def main():
    torch.manual_seed(0)
    m = TinyResNet()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
            mod.num_batches_tracked.fill_(7)
    m.eval()
    sd = m.state_dict()
    sd["fc.weight"] = sd["fc.weight"].t().contiguous().t()  # same values, strides (1, 32)
    assert not sd["fc.weight"].is_contiguous()
    sd["extra.half"] = torch.tensor([[0.5, -1.25, 3.0]], dtype=torch.float16)
    torch.save(sd, "tiny_resnet.pth")

    h = w = 32
    x = torch.tensor([math.sin(0.1 * i + 0.3 * (i % 7)) for i in range(3 * h * w)], dtype=torch.float32).reshape(1, 3, h, w)
    with torch.no_grad():
        outs = m.features(x)
    json.dump({
        "input": {"shape": [1, 3, h, w], "formula": "sin(0.1*i + 0.3*(i%7))"},
        "outputs": {n: {"shape": list(o.shape), "data": [round(v, 7) for v in o.flatten().tolist()]}
                    for n, o in zip(["res2", "res3", "res4", "res5"], outs)},
        "fc_weight_00_01_10": [sd["fc.weight"][0, 0].item(), sd["fc.weight"][0, 1].item(), sd["fc.weight"][1, 0].item()],
        "num_keys": len(sd),
    }, open("tiny_resnet_out.json", "w"))


if __name__ == "__main__":
    main()
