#!/usr/bin/env python3
"""Build the PyTorch recurrent-network test fixtures for nn2hls (issue #12, item 1).

Trains small nn.LSTM / nn.GRU / nn.RNN classifiers on sklearn's digits (each 8x8 image read
as a sequence of 8 rows of 8 features) and exports them the ordinary way a PyTorch user does:
torch.onnx.export with a dynamic batch axis (dynamic_axes), opset 13, no initial state given,
so the exporter builds the zero state from the batch size (Shape -> Gather -> Unsqueeze ->
Concat -> ConstantOfShape). Each model reads its recurrent output with a different head:

  lstm_bf_last    LSTM, batch_first=True,  head y[:, -1]
  lstm_sf_hlast   LSTM, batch_first=False, head h[-1]
  gru_bf_squeeze  GRU,  batch_first=True,  head h.squeeze(0)
  gru_sf_mean     GRU,  batch_first=False, head mean of y over time
  lstm2_bidir     2-layer bidirectional LSTM (hidden 12), batch_first=True, head y[:, -1]
  rnn_bf_hlast    RNN (tanh), batch_first=True, head h[-1]

Writes test/fixtures/torch_rnn/<name>.onnx plus the held-out test set (never trained on):
digits_seq_bf.npy [N, 8, 8] (batch first), digits_seq_sf.npy [8, N, 8] (sequence first),
digits_seq_labels.npy [N] (int64), calibration inputs digits_seq_calib_{bf,sf}.npy (the
first 64 training samples) and accuracy.json (float top-1 of each model in PyTorch).

Run from the repository root with the Debian Python (python3-torch, python3-sklearn):

    /usr/bin/python3 scripts/make_torch_rnn_fixtures.py

Deterministic: fixed seeds, single-threaded torch.
"""

import json
import os
import random

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits

SEED = 0
OPSET = 13
N_TEST = 300
N_CALIB = 64
HIDDEN = 16
HIDDEN_BIDIR = 12
EPOCHS = 40

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch_rnn")


class Classifier(nn.Module):
    def __init__(self, cell, batch_first, head, layers=1, bidirectional=False):
        super().__init__()
        self.batch_first = batch_first
        self.head = head
        # The bidirectional 2-layer LSTM is narrower so its second layer's weights (both
        # directions) fit the HLS backend's complete-partition limit with no flags.
        hidden = HIDDEN_BIDIR if bidirectional else HIDDEN
        self.rnn = cell(8, hidden, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), 10)

    def forward(self, x):
        out = self.rnn(x)
        y, h = out[0], out[1]
        if isinstance(h, tuple):  # LSTM: (h, c)
            h = h[0]
        if self.head == "last":
            z = y[:, -1] if self.batch_first else y[-1]
        elif self.head == "hlast":
            z = h[-1]
        elif self.head == "squeeze":
            z = h.squeeze(0)
        elif self.head == "mean":
            z = y.mean(dim=1 if self.batch_first else 0)
        else:
            raise ValueError(self.head)
        return self.fc(z)


MODELS = [
    ("lstm_bf_last", nn.LSTM, True, "last", 1, False),
    ("lstm_sf_hlast", nn.LSTM, False, "hlast", 1, False),
    ("gru_bf_squeeze", nn.GRU, True, "squeeze", 1, False),
    ("gru_sf_mean", nn.GRU, False, "mean", 1, False),
    ("lstm2_bidir", nn.LSTM, True, "last", 2, True),
    ("rnn_bf_hlast", nn.RNN, True, "hlast", 1, False),
]


def main():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)  # [n, 8, 8]: 8 steps (rows) of 8 features
    y = d.target.astype(np.int64)
    order = np.random.RandomState(SEED).permutation(len(x))
    test, train = order[:N_TEST], order[N_TEST:]
    xtr, ytr = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    xte, yte = x[test], y[test]

    os.makedirs(OUT_DIR, exist_ok=True)
    np.save(os.path.join(OUT_DIR, "digits_seq_bf.npy"), xte)
    np.save(os.path.join(OUT_DIR, "digits_seq_sf.npy"), np.ascontiguousarray(xte.transpose(1, 0, 2)))
    np.save(os.path.join(OUT_DIR, "digits_seq_labels.npy"), yte)
    # calibration inputs for --precision auto: the first training samples
    xca = x[train[:N_CALIB]]
    np.save(os.path.join(OUT_DIR, "digits_seq_calib_bf.npy"), xca)
    np.save(os.path.join(OUT_DIR, "digits_seq_calib_sf.npy"), np.ascontiguousarray(xca.transpose(1, 0, 2)))

    acc = {}
    for name, cell, bf, head, layers, bidir in MODELS:
        torch.manual_seed(SEED)
        m = Classifier(cell, bf, head, layers, bidir)
        opt = torch.optim.Adam(m.parameters(), lr=0.01)
        for _ in range(EPOCHS):
            perm = torch.randperm(len(xtr))
            for i in range(0, len(xtr), 64):
                idx = perm[i : i + 64]
                xb = xtr[idx] if bf else xtr[idx].transpose(0, 1)
                loss = nn.functional.cross_entropy(m(xb), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        m.eval()
        xt = torch.from_numpy(xte if bf else np.ascontiguousarray(xte.transpose(1, 0, 2)))
        with torch.no_grad():
            pred = m(xt).argmax(1).numpy()
        acc[name] = float((pred == yte).mean())
        print(f"{name}: float top-1 {acc[name]:.4f}")
        batch_axis = 0 if bf else 1
        dummy = xt[:, :2] if not bf else xt[:2]
        torch.onnx.export(
            m,
            dummy,
            os.path.join(OUT_DIR, f"{name}.onnx"),
            input_names=["x"],
            output_names=["logits"],
            dynamic_axes={"x": {batch_axis: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET,
        )
    with open(os.path.join(OUT_DIR, "accuracy.json"), "w") as f:
        json.dump(acc, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
