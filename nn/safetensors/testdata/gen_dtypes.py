#!/usr/bin/python3
"""Writes dtypes.safetensors with a hand-written safetensors writer (the
safetensors Python package is not installed here) from torch tensors of
every dtype the Go reader decodes. Values are exact in every dtype:
v[i] = (i - 3) * 0.5 for floats, i - 3 for signed ints, i for U8/BOOL (mod 2).

Run: /usr/bin/python3 gen_dtypes.py
"""
import json
import struct

import torch


def raw(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


DT = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
      torch.uint8: "U8", torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = raw(t)
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


if __name__ == "__main__":
    i = torch.arange(6)
    fl = ((i - 3).to(torch.float64) * 0.5).reshape(2, 3)
    tensors = {
        "f32": fl.to(torch.float32), "f64": fl, "f16": fl.to(torch.float16), "bf16": fl.to(torch.bfloat16),
        "i64": (i - 3).reshape(2, 3), "i32": (i - 3).to(torch.int32).reshape(2, 3),
        "i16": (i - 3).to(torch.int16).reshape(2, 3), "i8": (i - 3).to(torch.int8).reshape(2, 3),
        "u8": i.to(torch.uint8).reshape(2, 3), "bool": (i % 2).to(torch.bool).reshape(2, 3),
        "scalar": torch.tensor(7, dtype=torch.int64), "empty": torch.zeros(0, 4),
    }
    write_safetensors("dtypes.safetensors", tensors, {"format": "pt", "source": "gen_dtypes.py"})
