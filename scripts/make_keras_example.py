#!/usr/bin/env python3
"""Write examples/digits_mlp_keras.h5: the bundled digits MLP (examples/digits_mlp.onnx) as a
Keras full-model HDF5 file, from the project's own trained weights.

The file has what Keras's model.save("x.h5") writes and nn2hls reads: a `model_config`
attribute (the JSON of a Sequential model: InputLayer, Dense+relu, Dense+relu, Dense+softmax)
and a `model_weights` group with `layer_names` / `weight_names` attributes and one dataset per
weight (kernel [in, out], bias [out]). Only h5py and onnx are needed (no TensorFlow).

Run from the repository root with the Debian Python (python3-h5py, python3-onnx):

    /usr/bin/python3 scripts/make_keras_example.py

Deterministic: no timestamps are stored, so rerunning gives the same bytes.
"""

import json
import sys

import h5py
import numpy as np
import onnx
from onnx import numpy_helper

SRC = "examples/digits_mlp.onnx"
DST = "examples/digits_mlp_keras.h5"
NAMES = ["fc1", "fc2", "output"]
ACTS = ["relu", "relu", "softmax"]


def dense_weights(model):
    """(kernel [in,out], bias [out]) of each Gemm, in graph order."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if node.op_type != "Gemm":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        w = inits[node.input[1]].astype(np.float32)
        b = inits[node.input[2]].astype(np.float32)
        if attrs.get("transB", 0):
            w = w.T
        out.append((np.ascontiguousarray(w), b))
    return out


def layer_config(name, units, act):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "units": int(units), "activation": act,
           "use_bias": True}
    return {"class_name": "Dense", "config": cfg}


def main():
    model = onnx.load(SRC)
    weights = dense_weights(model)
    if len(weights) != len(NAMES):
        sys.exit(f"{SRC}: expected {len(NAMES)} Gemm layers, found {len(weights)}")
    n_in = weights[0][0].shape[0]
    layers = [{"class_name": "InputLayer",
               "config": {"batch_input_shape": [None, n_in], "dtype": "float32", "sparse": False, "name": "input"}}]
    for (w, _), name, act in zip(weights, NAMES, ACTS):
        layers.append(layer_config(name, w.shape[1], act))
    config = {"class_name": "Sequential", "config": {"name": "digits_mlp", "layers": layers}}

    with h5py.File(DST, "w", track_order=False) as f:
        f.attrs["keras_version"] = np.bytes_("2.4.0")
        f.attrs["backend"] = np.bytes_("tensorflow")
        f.attrs["model_config"] = np.bytes_(json.dumps(config, sort_keys=True))
        g = f.create_group("model_weights")
        g.attrs["keras_version"] = np.bytes_("2.4.0")
        g.attrs["backend"] = np.bytes_("tensorflow")
        g.attrs["layer_names"] = np.array([n.encode() for n in ["input"] + NAMES])
        g.create_group("input").attrs["weight_names"] = np.array([], dtype="S1")
        for (w, b), name in zip(weights, NAMES):
            lg = g.create_group(name)
            lg.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()])
            inner = lg.create_group(name)
            inner.create_dataset("kernel:0", data=w, track_times=False)
            inner.create_dataset("bias:0", data=b, track_times=False)
    print(f"wrote {DST}: {' -> '.join(str(w.shape[1]) for w, _ in weights)} from {SRC}")


if __name__ == "__main__":
    main()
