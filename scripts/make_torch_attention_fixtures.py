#!/usr/bin/env python3
"""Build the attention test fixtures for nn2hls (issue #12, item 2).

Trains three small classifiers on scikit-learn's 8x8 digits and exports them to ONNX in
test/fixtures/attention/ with their inputs and labels:

  attn_digits         self-attention: the image's 8 rows are 8 tokens of 8 features;
                      Q/K/V = Linear(8,16), softmax((Q/4) Kᵀ) V, flattened, Linear(128,10)
                      (Q scaled before the product, as nn.MultiheadAttention does, so the
                      scores stay in ap_fixed<16,6>'s range)
  transformer_digits  one nn.TransformerEncoderLayer (d_model 32, 2 heads, feed-forward 64,
                      GELU, batch_first) on 16 tokens of 4 pixels projected to 32 plus a learned
                      position embedding, mean over tokens (ReduceMean), Linear(32,10); exported at opset 17 (LayerNormalization) and at
                      opset 13 (LayerNorm as ReduceMean/Sub/Pow/Sqrt/Div), GELU in its Erf form
  mha_digits          nn.MultiheadAttention (embed 16, 2 heads, batch_first) on 8 tokens of 8
                      pixels projected to 16, residual, flattened, Linear(128,10)

Exported with a dynamic batch dim (dynamic_axes on input and output), so the models take
any batch; nn.MultiheadAttention's graph then builds its [T, N*heads, d] and [T*N, E] reshapes
from Shape(x), which the importer keeps per sample (src/frontend/common/merged.ts). Eval mode,
enable_nested_tensor=False so the exporter writes plain ops. NN2HLS_FIXTURE_DIR overrides the
output directory (to compare a fresh export with the committed files). Files: NAME.onnx, NAME_input.npy (all 360 held-out samples, [360, T, F]),
NAME_calib.npy (the first 64 training samples, for --precision auto), and
digits_attention_labels.npy (their labels).

Run from the repository root with the Debian Python (python3-torch, python3-sklearn, python3-onnx):

    /usr/bin/python3 scripts/make_torch_attention_fixtures.py

Deterministic: fixed seeds, single-threaded torch, deterministic algorithms.
"""

import os
import random

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
N_SAMPLES = 360
LOGIT_PENALTY = 1e-3
N_CALIB = 64  # training samples for post-training calibration
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.environ.get("NN2HLS_FIXTURE_DIR") or os.path.join(ROOT, "test", "fixtures", "attention")


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


class SelfAttention(nn.Module):
    def __init__(self, feat=8, d=16, classes=10):
        super().__init__()
        self.q = nn.Linear(feat, d)
        self.k = nn.Linear(feat, d)
        self.v = nn.Linear(feat, d)
        self.scale = 1.0 / float(np.sqrt(d))
        self.head = nn.Linear(8 * d, classes)

    def forward(self, x):  # [B, T, F]
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        return self.head(torch.flatten(torch.matmul(a, v), 1))


class Transformer(nn.Module):
    def __init__(self, feat=4, d=32, classes=10):
        super().__init__()
        self.embed = nn.Linear(feat, d)
        self.pos = nn.Parameter(torch.zeros(16, d))
        layer = nn.TransformerEncoderLayer(d, nhead=2, dim_feedforward=64, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x) + self.pos).mean(dim=1))


class Mha(nn.Module):
    def __init__(self, feat=8, d=16, classes=10):
        super().__init__()
        self.embed = nn.Linear(feat, d)
        self.mha = nn.MultiheadAttention(d, num_heads=2, batch_first=True)
        self.head = nn.Linear(8 * d, classes)

    def forward(self, x):
        h = self.embed(x)
        a, _ = self.mha(h, h, h, need_weights=False)
        return self.head(torch.flatten(h + a, 1))


def train(model, xtr, ytr, epochs, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    lossf = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 32):
            idx = perm[i : i + 32]
            opt.zero_grad()
            logits = model(xtr[idx])
            # Keeps logits well inside ap_fixed<16,6>'s ±32 (the default type wraps beyond).
            loss = lossf(logits, ytr[idx]) + LOGIT_PENALTY * (logits**2).mean()
            loss.backward()
            opt.step()
    model.eval()
    return model


def export(model, shape, path, opset):
    torch.onnx.export(
        model, torch.zeros(shape), path, opset_version=opset, do_constant_folding=True,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )


def main():
    set_determinism(SEED)
    os.makedirs(OUT_DIR, exist_ok=True)
    digits = load_digits()
    x = (digits.data.astype(np.float32) / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    np.save(os.path.join(OUT_DIR, "digits_attention_labels.npy"), yte[:N_SAMPLES].astype(np.int64))
    for name, make, tokens, feat, epochs, opsets in [
        ("attn_digits", SelfAttention, 8, 8, 40, [13]),
        ("mha_digits", Mha, 8, 8, 40, [13]),
        ("transformer_digits", Transformer, 16, 4, 40, [17, 13]),
    ]:
        set_determinism(SEED)
        tr = torch.from_numpy(xtr.reshape(-1, tokens, feat))
        te = torch.from_numpy(xte.reshape(-1, tokens, feat))
        model = train(make(), tr, torch.from_numpy(ytr), epochs)
        with torch.no_grad():
            acc = (model(te).argmax(1).numpy() == yte).mean()
        print(f"{name}: held-out accuracy {acc * 100:.2f}% on {len(yte)}")
        for opset in opsets:
            suffix = "" if opset == opsets[0] else f"_opset{opset}"
            export(model, (1, tokens, feat), os.path.join(OUT_DIR, f"{name}{suffix}.onnx"), opset)
        inp = xte[:N_SAMPLES].reshape(N_SAMPLES, tokens, feat).astype(np.float32)
        np.save(os.path.join(OUT_DIR, f"{name}_input.npy"), inp)
        calib = xtr[:N_CALIB].reshape(N_CALIB, tokens, feat).astype(np.float32)
        np.save(os.path.join(OUT_DIR, f"{name}_calib.npy"), calib)


if __name__ == "__main__":
    main()
