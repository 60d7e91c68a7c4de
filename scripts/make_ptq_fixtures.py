#!/usr/bin/env python3
"""Build the post-training-quantization fixture: a MobileNet-style depthwise-separable CNN with
batch normalization after every convolution, trained on scikit-learn's 8x8 digits.

Exported in eval mode, the batch norms fold into the convolutions, so each depthwise channel's
3x3 kernel is scaled by its own gamma/sigma: the depthwise weights of one layer span very
different ranges per channel, the case where one weight type per layer loses most (the small
channels round to zero) and where calibration has to work for its accuracy.

Writes test/fixtures/ptq/:
  dsconv_bn_digits.onnx          input [batch,1,8,8] (pixels/16), output [batch,10] softmax
  dsconv_bn_digits_test.npy      float32 [360,1,8,8]: the held-out test split
  dsconv_bn_digits_labels.npy    int64 [360]
  dsconv_bn_digits_calib.npy     float32 [256,1,8,8]: the first 256 training samples

Run from the repository root with Debian's python3-torch, python3-onnx, python3-sklearn:
    /usr/bin/python3 scripts/make_ptq_fixtures.py
Deterministic: fixed seeds, one thread, deterministic algorithms.
"""

import os
import random

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "ptq")
SEED = 0


def set_determinism():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def block(cin, cout):
    # depthwise 3x3 -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU
    return [
        nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
    ]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),  # 16x8x8
            *block(16, 32), nn.MaxPool2d(2),  # 32x4x4
            *block(32, 32), nn.MaxPool2d(2),  # 32x2x2
            nn.Flatten(), nn.Linear(128, 10),
        )
        self.export_softmax = False

    def forward(self, x):
        y = self.body(x)
        return torch.softmax(y, dim=1) if self.export_softmax else y


def main():
    set_determinism()
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    for _ in range(30):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x_te))
    acc = float((logits.argmax(1).numpy() == y_te).mean())
    os.makedirs(OUT, exist_ok=True)
    model.export_softmax = True
    path = os.path.join(OUT, "dsconv_bn_digits.onnx")
    torch.onnx.export(
        model, torch.from_numpy(x_te[:1]), path, opset_version=13, do_constant_folding=True,
        input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    np.save(os.path.join(OUT, "dsconv_bn_digits_test.npy"), np.ascontiguousarray(x_te))
    np.save(os.path.join(OUT, "dsconv_bn_digits_labels.npy"), np.ascontiguousarray(y_te))
    np.save(os.path.join(OUT, "dsconv_bn_digits_calib.npy"), np.ascontiguousarray(x_tr[:256]))
    print(f"dsconv_bn_digits: float test accuracy {100 * acc:.2f}% on {len(y_te)} samples; max |logit| {float(logits.abs().max()):.1f}")


if __name__ == "__main__":
    main()
