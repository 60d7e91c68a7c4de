#!/usr/bin/env python3
"""Build the bundled MNIST convolutional examples for nn2hls.

Trains four small CNNs on MNIST and exports them to ONNX (opset 13) in
examples/, next to the digits_* examples that scripts/make_examples.py makes:

  lenet5_mnist     LeNet-5: conv 6@5x5 (pad 2) -> pool -> conv 16@5x5 -> pool -> 400-120-84-10
  cnn32_mnist      a CIFAR-shaped CNN: input 3x32x32, (conv 3x3 -> ReLU -> pool) x3 -> dense 10,
                   trained on MNIST padded to 32x32 and replicated into 3 channels
  dsconv_mnist     depthwise-separable CNN (depthwise 3x3 + pointwise 1x1 blocks)
  resnet_mnist     a small residual CNN (two 3x3 convs with an identity skip, then Add)

Data: only MNIST's t10k split is available here (../shared/datasets/mnist/t10k-*).
Images 0..7999 are the training set, images 8000..9999 the held-out test set; the
bundled sample inputs are the first test images (indices 8000...), the calibration
inputs the first training images, so no sample input was ever trained on.

Run from the repository root with the Debian Python (python3-torch, python3-onnx):

    /usr/bin/python3 scripts/make_cnn_examples.py [--mnist DIR]

Deterministic: fixed seeds, single-threaded torch, deterministic algorithms.
"""

import argparse
import gzip
import os
import random
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

SEED = 0
OPSET = 13
N_TRAIN = 8000
N_SAMPLES = 100  # bundled 28x28 test samples (float32: 314 KB)
N_CALIB = 64  # bundled 28x28 calibration samples (200 KB)
N_SAMPLES_32 = 40  # bundled 3x32x32 samples (480 KB)
N_CALIB_32 = 32  # bundled 3x32x32 calibration samples (384 KB)
# held-out 3x32x32 test set for `optimize` (enough that one image is half a point), stored as float16
# to stay small (1.2 MB); k/255 rounded to float16 is within 2^-12 of the float32 pixel.
N_TEST_32 = 200
LOGIT_PENALTY = 1e-3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "examples")


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(d):
    x = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    x = x.reshape(-1, 1, 28, 28)
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def to32x3(x):
    """MNIST [N,1,28,28] -> [N,3,32,32]: zero-pad 2 on each side, replicate into 3 channels."""
    p = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    return np.ascontiguousarray(np.repeat(p, 3, axis=1), dtype=np.float32)


class WithSoftmax(nn.Module):
    """Trained on logits; the Softmax is appended only for export (as the digits examples)."""

    def __init__(self, body):
        super().__init__()
        self.body = body
        self.softmax = nn.Softmax(dim=1)
        self.export_softmax = False

    def forward(self, x):
        logits = self.body(x)
        return self.softmax(logits) if self.export_softmax else logits


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 6x14x14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # 16x5x5
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def cnn32():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8x16x16
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16x8x8
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32x4x4
        nn.Flatten(),
        nn.Linear(512, 10),
    )


def dsconv():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8x14x14
        nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.Conv2d(8, 16, 1), nn.ReLU(), nn.MaxPool2d(2),  # 16x7x7
        nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.Conv2d(16, 32, 1), nn.ReLU(), nn.MaxPool2d(2),  # 32x3x3
        nn.Flatten(),
        nn.Linear(288, 10),
    )


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv2(self.relu(self.conv1(x))) + x)


def resnet():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8x14x14
        ResBlock(8),
        nn.MaxPool2d(2),  # 8x7x7
        nn.Conv2d(8, 16, 3), nn.ReLU(),  # 16x5x5
        ResBlock(16),
        nn.MaxPool2d(2),  # 16x2x2
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def train(model, x, y, epochs, lr, batch_size, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = xt.shape[0]
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            logits = model(xt[idx])
            # Keeps logits well inside ap_fixed<16,6>'s +-32 so the default type does not wrap.
            loss = loss_fn(logits, yt[idx]) + LOGIT_PENALTY * logits.pow(2).mean()
            loss.backward()
            opt.step()
    model.eval()
    return model


@torch.no_grad()
def evaluate(model, x, y):
    logits = model(torch.from_numpy(x))
    return float((logits.argmax(dim=1).numpy() == y).mean()), float(logits.abs().max())


def export_onnx(model, example, path):
    model.eval()
    model.export_softmax = True
    torch.onnx.export(
        model, example, path, export_params=True, opset_version=OPSET, do_constant_folding=True,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    model.export_softmax = False


def onnx_op_types(path):
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = []
    for node in m.graph.node:
        if node.op_type not in ops:
            ops.append(node.op_type)
    return ops


def save(name, arr):
    np.save(os.path.join(OUT_DIR, name), arr)


MODELS = [
    # name, builder, 32x3 input?, epochs, lr, description
    ("lenet5_mnist", lenet5, False, 6, 2e-3,
     "LeNet-5: Conv(1,6,5x5,pad 2) -> ReLU -> MaxPool 2 -> Conv(6,16,5x5) -> ReLU -> MaxPool 2 -> "
     "Flatten -> Linear(400,120) -> ReLU -> Linear(120,84) -> ReLU -> Linear(84,10) -> Softmax"),
    ("cnn32_mnist", cnn32, True, 5, 2e-3,
     "CIFAR-shaped (input [batch,3,32,32]): (Conv 3x3 pad 1 -> ReLU -> MaxPool 2) x3 with 8, 16, 32 "
     "channels -> Flatten -> Linear(512,10) -> Softmax. Trained on MNIST zero-padded to 32x32 and "
     "replicated into 3 channels"),
    ("dsconv_mnist", dsconv, False, 6, 3e-3,
     "depthwise-separable: Conv(1,8,3x3) -> ReLU -> MaxPool 2 -> [depthwise Conv 3x3 (group 8) -> "
     "pointwise Conv 1x1 -> 16] -> ReLU -> MaxPool 2 -> [depthwise 3x3 (group 16) -> pointwise 1x1 -> 32] "
     "-> ReLU -> MaxPool 2 -> Flatten -> Linear(288,10) -> Softmax"),
    ("resnet_mnist", resnet, False, 6, 3e-3,
     "residual: Conv(1,8,3x3) -> ReLU -> MaxPool 2 -> ResBlock(8) -> MaxPool 2 -> Conv(8,16,3x3, no pad) "
     "-> ReLU -> ResBlock(16) -> MaxPool 2 -> Flatten -> Linear(64,10) -> Softmax, where "
     "ResBlock(c)(x) = ReLU(Conv3x3(ReLU(Conv3x3(x))) + x)"),
]


def save_cnn32_test(x_te32, y_te):
    save("cnn32_mnist_test.npy", np.ascontiguousarray(x_te32[:N_TEST_32].astype(np.float16)))
    save("cnn32_mnist_test_labels.npy", np.ascontiguousarray(y_te[:N_TEST_32]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", default=os.path.join(ROOT, "..", "shared", "datasets", "mnist"))
    ap.add_argument("--samples-only", action="store_true",
                    help="write only the cnn32 held-out test set (no training, models untouched)")
    args = ap.parse_args()
    set_determinism(SEED)
    x_tr, y_tr, x_te, y_te = load_mnist(args.mnist)
    x_tr32, x_te32 = to32x3(x_tr), to32x3(x_te)
    save_cnn32_test(x_te32, y_te)
    if args.samples_only:
        return

    save("mnist_input.npy", np.ascontiguousarray(x_te[:N_SAMPLES]))
    save("mnist_labels.npy", np.ascontiguousarray(y_te[:N_SAMPLES]))
    save("mnist_calib.npy", np.ascontiguousarray(x_tr[:N_CALIB]))
    save("cnn32_mnist_input.npy", np.ascontiguousarray(x_te32[:N_SAMPLES_32]))
    save("cnn32_mnist_calib.npy", np.ascontiguousarray(x_tr32[:N_CALIB_32]))

    rows = []
    for name, build, is32, epochs, lr, desc in MODELS:
        set_determinism(SEED)
        model = WithSoftmax(build())
        xtr, xte = (x_tr32, x_te32) if is32 else (x_tr, x_te)
        train(model, xtr, y_tr, epochs=epochs, lr=lr, batch_size=64, seed=SEED)
        acc, max_logit = evaluate(model, xte, y_te)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{name}: test accuracy {acc * 100:.2f}% on {len(y_te)} held-out images; "
              f"max |logit| {max_logit:.1f}; {n_params} parameters")
        if acc < 0.95 or max_logit > 24:
            print(f"ERROR: {name}: accuracy or logit range out of bounds", file=sys.stderr)
            sys.exit(1)
        path = os.path.join(OUT_DIR, f"{name}.onnx")
        export_onnx(model, torch.from_numpy(xte[:1]), path)
        n = N_SAMPLES_32 if is32 else N_SAMPLES
        with torch.no_grad():
            model.export_softmax = True
            out = model(torch.from_numpy(np.ascontiguousarray(xte[:n]))).numpy().astype(np.float32)
            model.export_softmax = False
        save(f"{name}_expected.npy", out)
        rows.append((name, desc, acc, max_logit, n_params, ", ".join(onnx_op_types(path)), is32))
    write_readme(rows)


def write_readme(rows):
    lines = [
        "",
        "# MNIST convolutional examples",
        "",
        "Made by `/usr/bin/python3 scripts/make_cnn_examples.py` (Debian `python3-torch`, `python3-onnx`;",
        "deterministic; run it after `scripts/make_examples.py`, which rewrites this README). Data: MNIST's t10k split only (`../shared/datasets/mnist`): images 0..7999",
        f"train, images 8000..9999 are the held-out test set. Pixels /255 -> float32 0..1, NCHW. Trained",
        f"on logits (Adam, CrossEntropy + {LOGIT_PENALTY} x mean logit^2 so logits stay inside",
        "ap_fixed<16,6>); Softmax appended for export. ONNX opset 13, input `input`, output `output`",
        "(`[batch,10]` probabilities), dynamic batch axis.",
        "",
        "| model | layers | test acc. (2000 images) | max abs logit | params | ONNX ops |",
        "|---|---|---|---|---|---|",
    ]
    for name, desc, acc, ml, n, ops, _ in rows:
        lines.append(f"| `{name}.onnx` | {desc} | {acc * 100:.2f}% | {ml:.1f} | {n} | {ops} |")
    lines += [
        "",
        "| file | contents |",
        "|---|---|",
        f"| `mnist_input.npy` | float32 `[{N_SAMPLES},1,28,28]`: test images 8000..{8000 + N_SAMPLES - 1} (input of lenet5/dsconv/resnet) |",
        f"| `mnist_labels.npy` | int64 `[{N_SAMPLES}]`: their labels (the first {N_SAMPLES_32} also label `cnn32_mnist_input.npy`) |",
        f"| `mnist_calib.npy` | float32 `[{N_CALIB},1,28,28]`: training images 0..{N_CALIB - 1}, for calibration |",
        f"| `cnn32_mnist_input.npy` | float32 `[{N_SAMPLES_32},3,32,32]`: test images 8000..{8000 + N_SAMPLES_32 - 1}, padded and replicated |",
        f"| `cnn32_mnist_test.npy` | float16 `[{N_TEST_32},3,32,32]`: test images 8000..{8000 + N_TEST_32 - 1}, padded and replicated (held-out set for `optimize`; float16 keeps it small) |",
        f"| `cnn32_mnist_test_labels.npy` | int64 `[{N_TEST_32}]`: their labels |",
        f"| `cnn32_mnist_calib.npy` | float32 `[{N_CALIB_32},3,32,32]`: training images 0..{N_CALIB_32 - 1}, padded and replicated |",
        "| `<model>_expected.npy` | float32 `[n,10]`: PyTorch's softmax output on that model's sample input |",
    ]
    path = os.path.join(OUT_DIR, "README.md")
    with open(path) as f:
        text = f.read()
    marker = "\n# MNIST convolutional examples\n"
    if marker in text:
        text = text[: text.index(marker)]
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
