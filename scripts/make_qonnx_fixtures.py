#!/usr/bin/env python3
"""Build QONNX channels-last test fixtures for nn2hls (test/fixtures/qonnx/).

hls4ml's QONNX example models cannot be downloaded here, so this script writes, with
onnx.helper, models in the same form as QONNX's channels-last exports (qonnx's
ConvertToChannelsLast / to_channels_last): data tensors [N, H, W, C] between ops of the
`qonnx.custom_op.channels_last` domain (Conv with weights [O, kH, kW, I/group], MaxPool,
AveragePool, BatchNormalization; Concat and Resize as a fork of that domain adds them),
standard elementwise ops and Concat working on NHWC tensors directly, Transposes where a
standard spatial op remains, and QONNX `Quant` nodes (qonnx.custom_op.general) on weights
(per tensor and per output channel, power-of-two scales) and on activations (per tensor,
and per channel in branched_cl).

  sepconv_cl    depthwise-separable CNN, NCHW input [1,3,32,32] + Transpose, 10 logits
  branched_cl   two conv branches added, two more concatenated, NHWC input [1,32,32,3]
  unet_cl       tiny U-Net: encoder conv+maxpool x2, decoder Resize x2 + concat skips,
                NHWC input [1,16,16,3], NHWC output [1,16,16,2] (16x16 keeps every
                tensor within io parallel's 4096-element partition limit)
  unet_cl_64, unet_cl_256
                the same U-Net (same weights) on 64x64x3 and 256x256x3 inputs (hls4ml's
                tiny U-Net size), for io stream: its Resizes stream with a one-row buffer
  bnn_cl        binarized CNN: BipolarQuant weights (channels-last convs and the Gemm) and
                BipolarQuant activations after channels-last batch norms, NHWC input [1,16,16,3]

For each, NAME_standard.onnx is the same network in standard ONNX (opset 13) that
onnxruntime runs: every channels-last op becomes Transpose -> standard op -> Transpose (the
definition QONNX's own executor uses), Quant becomes Div/Round/Clip/Mul (round half to even,
as QONNX's ROUND). The tests compare nn2hls on NAME.onnx against onnxruntime on the standard one.

Weights: torch's default initialisation under a fixed seed (random but fixed), batch-norm
statistics drawn from a fixed numpy generator. Deterministic.

    /usr/bin/python3 scripts/make_qonnx_fixtures.py
"""

import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "qonnx")
CL = "qonnx.custom_op.channels_last"
QG = "qonnx.custom_op.general"
OPSET = 13
TO_CF = [0, 3, 1, 2]
TO_CL = [0, 2, 3, 1]


def pow2_scales(w, bits, per_channel):
    """Smallest power-of-two scale(s) whose signed `bits`-bit grid covers |w| (per output channel or whole)."""
    top = 2 ** (bits - 1) - 1
    m = np.abs(w).reshape(w.shape[0], -1).max(axis=1) if per_channel else np.array([np.abs(w).max()])
    e = np.ceil(np.log2(np.maximum(m, 1e-8) / top))
    s = (2.0 ** e).astype(np.float32)
    return s.reshape((-1,) + (1,) * (w.ndim - 1)) if per_channel else np.float32(s[0])


class Builder:
    def __init__(self, seed):
        self.nodes = []
        self.inits = []
        self.k = 0
        torch.manual_seed(seed)
        self.rng = np.random.RandomState(seed)

    def name(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def init(self, base, arr):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), n))
        return n

    def node(self, op, ins, base, domain="", **attrs):
        out = self.name(base)
        self.nodes.append(helper.make_node(op, ins, [out], name=out + "_node", domain=domain, **attrs))
        return out

    def bipolar(self, x, scale=1.0):
        return self.node("BipolarQuant", [x, self.init("scale", np.float32(scale))], "bipolar", QG)

    def quant(self, x, scale, bits, signed=1, narrow=0):
        s = self.init("scale", scale)
        z = self.init("zeropt", np.zeros_like(np.asarray(scale, dtype=np.float32)))
        b = self.init("bitwidth", np.float32(bits))
        return self.node("Quant", [x, s, z, b], "quant", QG, signed=signed, narrow=narrow, rounding_mode="ROUND")

    def conv(self, x, cin, cout, k=3, pad=1, stride=1, group=1, bits=6, per_channel=False, bias=True):
        """Channels-last Conv; weights [O, kH, kW, I/group] through a Quant with power-of-two scale(s) (bits 1: BipolarQuant)."""
        m = torch.nn.Conv2d(cin, cout, k, stride, pad, groups=group, bias=bias)
        w = m.weight.detach().numpy().transpose(0, 2, 3, 1).copy()  # OIHW -> OHWI
        if bits == 1:
            wq = self.bipolar(self.init("w", w))
        else:
            wq = self.quant(self.init("w", w), pow2_scales(w, bits, per_channel), bits, narrow=1)
        ins = [x, wq]
        if bias:
            ins.append(self.init("b", m.bias.detach().numpy()))
        return self.node("Conv", ins, "conv", CL, kernel_shape=[k, k], strides=[stride, stride], dilations=[1, 1], pads=[pad] * 4, group=group)

    def bn(self, x, c, spread=1.0):
        """Batch norm with statistics of an input of standard deviation about `spread` (as training would leave them)."""
        g = self.rng.uniform(0.5, 1.5, c)
        b = self.rng.uniform(-0.3, 0.3, c)
        mu = self.rng.uniform(-0.2, 0.2, c) * spread
        var = self.rng.uniform(0.5, 2.0, c) * spread**2
        ins = [x] + [self.init(n, v) for n, v in (("bn_scale", g), ("bn_bias", b), ("bn_mean", mu), ("bn_var", var))]
        return self.node("BatchNormalization", ins, "bn", CL, epsilon=1e-5)

    def relu(self, x):
        return self.node("Relu", [x], "relu")

    def maxpool(self, x, k=2, s=2, pad=0):
        return self.node("MaxPool", [x], "maxpool", CL, kernel_shape=[k, k], strides=[s, s], pads=[pad] * 4)

    def avgpool(self, x, k=2, s=2):
        return self.node("AveragePool", [x], "avgpool", CL, kernel_shape=[k, k], strides=[s, s], pads=[0] * 4)

    def transpose(self, x, perm):
        return self.node("Transpose", [x], "transpose", perm=perm)

    def dense_head(self, x_cl, c, hw, classes, binary=False):
        """Transpose back to NCHW (where the channels-last ops end), flatten, Gemm."""
        x = self.transpose(x_cl, TO_CF)
        x = self.node("Flatten", [x], "flatten", axis=1)
        m = torch.nn.Linear(c * hw, classes)
        w = m.weight.detach().numpy()
        if binary:
            wq = self.bipolar(self.init("fc_w", w))
        else:
            wq = self.quant(self.init("fc_w", w), pow2_scales(w, 8, False), 8, narrow=1)
        return self.node("Gemm", [x, wq, self.init("fc_b", m.bias.detach().numpy())], "gemm", transB=1)

    def model(self, name, x_name, x_shape, y, y_shape):
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)],
            self.inits,
        )
        opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(QG, 1), helper.make_opsetid(CL, 1)]
        m = helper.make_model(graph, opset_imports=opsets, producer_name="nn2hls make_qonnx_fixtures.py")
        m.ir_version = 8
        return m


def sepconv():
    b = Builder(1)
    x = b.transpose("input", TO_CL)
    x = b.quant(x, np.float32(2.0**-5), 8)
    x = b.conv(x, 3, 3, group=3, bits=6, per_channel=True)  # depthwise
    x = b.conv(x, 3, 8, k=1, pad=0, bits=6, per_channel=True)  # pointwise
    x = b.relu(b.bn(x, 8))
    x = b.maxpool(x)  # 16x16
    x = b.conv(x, 8, 8, group=8, bits=4, per_channel=True, bias=False)
    x = b.conv(x, 8, 12, k=1, pad=0, bits=4)
    x = b.relu(b.bn(x, 12))
    x = b.quant(x, np.float32(2.0**-4), 8, signed=0)
    x = b.maxpool(x)  # 8x8
    x = b.avgpool(x)  # 4x4
    y = b.dense_head(x, 12, 16, 10)
    return b.model("sepconv_cl", "input", [1, 3, 32, 32], y, [1, 10])


def branched():
    b = Builder(2)
    x = b.quant("input", np.float32(2.0**-5), 8)
    x = b.relu(b.conv(x, 3, 8, bits=6, per_channel=True))
    a = b.relu(b.bn(b.conv(x, 8, 8, bits=6), 8))
    c = b.conv(x, 8, 8, k=1, pad=0, bits=6, per_channel=True)
    x = b.node("Add", [a, c], "add")
    # Activation Quant with per-channel power-of-two scales (NHWC: the channel axis is last).
    x = b.quant(x, (2.0 ** -np.array([3, 4, 5, 4, 3, 5, 4, 4])).astype(np.float32).reshape(1, 1, 1, 8), 8)
    x = b.maxpool(x)  # 16x16
    d = b.relu(b.conv(x, 8, 4, bits=5))
    e = b.conv(b.maxpool(x, k=3, s=1, pad=1), 8, 4, k=1, pad=0, bits=5, per_channel=True)
    x = b.node("Concat", [d, e], "concat", axis=-1)  # NHWC tensors: channels are the last axis
    x = b.relu(x)
    x = b.avgpool(x)  # 8x8
    x = b.maxpool(x)  # 4x4
    y = b.dense_head(x, 8, 16, 10)
    return b.model("branched_cl", "input", [1, 32, 32, 3], y, [1, 10])


def unet(size=16):
    b = Builder(3)
    x = b.quant("input", np.float32(2.0**-5), 8)
    e1 = b.relu(b.bn(b.conv(x, 3, 8, bits=6, per_channel=True), 8))  # 16x16x8
    e2 = b.relu(b.conv(b.maxpool(e1), 8, 16, bits=6, per_channel=True))  # 8x8x16
    m = b.relu(b.conv(b.maxpool(e2), 16, 16, bits=6))  # 4x4x16
    m = b.quant(m, np.float32(2.0**-4), 8, signed=0)
    # Upsample as a standard Resize between Transposes (what ConvertToChannelsLast leaves) ...
    roi = b.init("roi", np.zeros(0, np.float32))
    up = b.transpose(m, TO_CF)
    up = b.node("Resize", [up, roi, b.init("scales", [1, 1, 2, 2])], "resize", mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    up = b.transpose(up, TO_CL)  # 8x8x16
    d2 = b.node("Concat", [up, e2], "concat", axis=3)  # 8x8x32
    d2 = b.relu(b.bn(b.conv(d2, 32, 8, bits=6, per_channel=True), 8))
    # ... and as the fork's channels-last Resize and Concat (channels-first attributes and scales).
    up = b.node("Resize", [d2, roi, b.init("scales", [1, 1, 2, 2])], "resize", CL, mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    d1 = b.node("Concat", [up, e1], "concat", CL, axis=1)  # 16x16x16
    d1 = b.relu(b.conv(d1, 16, 8, bits=6))
    y = b.conv(d1, 8, 2, k=1, pad=0, bits=8, per_channel=True)
    name = "unet_cl" if size == 16 else f"unet_cl_{size}"
    return b.model(name, "input", [1, size, size, 3], y, [1, size, size, 2])


def bnn():
    b = Builder(4)
    x = b.quant("input", np.float32(2.0**-5), 8)
    # A binary conv's output is a sum of K = 3*3*C_in terms of random sign: spread about sqrt(K).
    x = b.bipolar(b.bn(b.conv(x, 3, 16, bits=1, bias=False), 16, spread=27**0.5))
    x = b.bipolar(b.bn(b.conv(x, 16, 16, bits=1, bias=False), 16, spread=12.0))
    x = b.maxpool(x)  # 8x8
    x = b.bipolar(b.bn(b.conv(x, 16, 16, bits=1, bias=False), 16, spread=12.0))
    x = b.maxpool(x)  # 4x4
    y = b.dense_head(x, 16, 16, 10, binary=True)
    return b.model("bnn_cl", "input", [1, 16, 16, 3], y, [1, 10])


def standard(model):
    """The same network in standard ONNX: channels-last ops wrapped in Transposes, Quant spelled out."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    new_inits = list(model.graph.initializer)
    nodes = []
    k = [0]

    def fresh(base):
        k[0] += 1
        return f"std_{base}_{k[0]}"

    def const(arr):
        n = fresh("c")
        new_inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), n))
        return n

    for n in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.domain == QG and n.op_type == "Quant":
            x, s, z, bits = n.input
            nb = int(inits[bits])
            signed, narrow = attrs.get("signed", 1), attrs.get("narrow", 0)
            lo = -(2 ** (nb - 1)) + (1 if narrow else 0) if signed else 0
            hi = 2 ** (nb - 1) - 1 if signed else 2**nb - 1 - (1 if narrow else 0)
            t = fresh("q")
            nodes.append(helper.make_node("Div", [x, s], [t + "_div"]))
            nodes.append(helper.make_node("Add", [t + "_div", z], [t + "_add"]))
            nodes.append(helper.make_node("Round", [t + "_add"], [t + "_round"]))
            nodes.append(helper.make_node("Clip", [t + "_round", const(lo), const(hi)], [t + "_clip"]))
            nodes.append(helper.make_node("Sub", [t + "_clip", z], [t + "_sub"]))
            nodes.append(helper.make_node("Mul", [t + "_sub", s], [n.output[0]]))
        elif n.domain == QG and n.op_type == "BipolarQuant":
            x, s = n.input
            t = fresh("bq")
            nodes.append(helper.make_node("GreaterOrEqual", [x, const(0.0)], [t + "_ge"]))
            nodes.append(helper.make_node("Neg", [s], [t + "_neg"]))
            nodes.append(helper.make_node("Where", [t + "_ge", s, t + "_neg"], [n.output[0]]))
        elif n.domain == CL:
            ins = []
            for i, name in enumerate(n.input):
                data = i == 0 or (n.op_type == "Conv" and i == 1) or n.op_type == "Concat"
                if data and name:
                    t = fresh("to_cf")
                    nodes.append(helper.make_node("Transpose", [name], [t], perm=TO_CF))
                    name = t
                ins.append(name)
            t = fresh(n.op_type)
            nodes.append(helper.make_node(n.op_type, ins, [t], name=n.name, **attrs))
            nodes.append(helper.make_node("Transpose", [t], [n.output[0]], perm=TO_CL))
        else:
            nodes.append(n)
    used = {i for n in nodes for i in n.input}
    new_inits = [t for t in new_inits if t.name in used]  # the Quant bit widths are folded into Clip bounds
    graph = helper.make_graph(nodes, model.graph.name + "_standard", model.graph.input, model.graph.output, new_inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="nn2hls make_qonnx_fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for make in (sepconv, branched, unet, bnn, lambda: unet(64), lambda: unet(256)):
        m = make()
        name = m.graph.name
        for mm, path in ((m, f"{name}.onnx"), (standard(m), f"{name}_standard.onnx")):
            out = os.path.join(OUT_DIR, path)
            onnx.save(mm, out)
            print(f"{out}: {os.path.getsize(out)} bytes, {len(mm.graph.node)} nodes")


if __name__ == "__main__":
    main()
