#!/usr/bin/env python3
"""Write the 1M-parameter benchmark MLP for `npm run bench:csim` (issue #18).

A PyTorch MLP 16-500-500-500-500-500-5 with ReLU between the layers (1,013,005
parameters), randomly initialised with a fixed seed (nothing is trained: the
benchmark measures how the emitted project builds, not what it predicts),
exported to ONNX opset 13 with a dynamic batch axis. The file is about 4 MB, so
it is generated at bench time into a build directory, never committed.

    /usr/bin/python3 scripts/make_big_mlp.py OUT.onnx

Deterministic: fixed seed, single-threaded torch.
"""

import sys

import torch
import torch.nn as nn

SIZES = [16, 500, 500, 500, 500, 500, 5]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_big_mlp.py OUT.onnx")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.zeros(1, SIZES[0])
    torch.onnx.export(
        model, x, sys.argv[1], opset_version=13, do_constant_folding=True,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    print(f"{sys.argv[1]}: MLP {'-'.join(map(str, SIZES))}, {params} parameters", file=sys.stderr)


if __name__ == "__main__":
    main()
