#!/usr/bin/env python3
"""Peer for `loom-bench networks`: the same MobileNetV2 and LoomNet v1 in onnxruntime.

The ONNX graphs are built here with onnx.helper from Models/mobilenet_v2/model.safetensors
(batch norms folded in numpy, as onnxruntime would fold them itself); LoomNet's heads get random
values of the right shapes (speed does not depend on them). Prints one JSON object:
{"mobilenet": [images/s at 1 thread, at 2], "loomnet": [items/s at 1, at 2], "versions": ...}.

usage: onnx_networks.py MODEL.safetensors [batch] [repeats]
"""
import json
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from onnx_graph import Graph, read_safetensors

SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def relu6_of(g, x):
    return g.node("Clip", [x, g.constant(np.array(0, np.float32)), g.constant(np.array(6, np.float32))])


def folded(t, conv, bn, eps=1e-5):
    scale = t[bn + ".weight"] / np.sqrt(t[bn + ".running_var"] + eps)
    weight = t[conv + ".weight"] * scale.reshape(-1, 1, 1, 1)
    bias = t[bn + ".bias"] - t[bn + ".running_mean"] * scale
    return weight.astype(np.float32), bias.astype(np.float32)


def conv(g, x, weight, bias, stride=1, group=1, relu6=True):
    k = weight.shape[-1]
    y = g.node("Conv", [x, g.constant(weight), g.constant(bias)], kernel_shape=[k, k], strides=[stride, stride],
               pads=[k // 2] * 4, group=group)
    return relu6_of(g, y) if relu6 else y


def mobilenet(g, t, image):
    f = "visual.features."
    x = conv(g, image, *folded(t, f + "0.0", f + "0.1"), stride=2)
    inputs, index = 32, 1
    for expansion, channels, repeats, stride in SETTINGS:
        for r in range(repeats):
            name, layer = f"{f}{index}.conv.", 0
            hidden = inputs * expansion
            y = x
            if expansion != 1:
                y = conv(g, y, *folded(t, name + "0.0", name + "0.1"))
                layer = 1
            s = stride if r == 0 else 1
            y = conv(g, y, *folded(t, name + f"{layer}.0", name + f"{layer}.1"), stride=s, group=hidden)
            y = conv(g, y, *folded(t, name + f"{layer + 1}", name + f"{layer + 2}"), relu6=False)
            x = g.node("Add", [x, y]) if s == 1 and inputs == channels else y
            inputs, index = channels, index + 1
    x = conv(g, x, *folded(t, f"{f}{index}.0", f"{f}{index}.1"))
    return g.node("Flatten", [g.node("GlobalAveragePool", [x])])


def linear(g, x, rng, inputs, outputs):
    bound = 1 / np.sqrt(inputs)
    weight = rng.uniform(-bound, bound, (outputs, inputs)).astype(np.float32)
    bias = rng.uniform(-bound, bound, outputs).astype(np.float32)
    return g.node("Gemm", [x, g.constant(weight), g.constant(bias)], transB=1)


def lstm_layer(g, x, rng, inputs, hidden):
    """One PyTorch LSTM layer as an ONNX LSTM (gates reordered i,f,g,o → i,o,f,c)."""
    bound = 1 / np.sqrt(hidden)
    w_ih, w_hh = (rng.uniform(-bound, bound, (4 * hidden, n)).astype(np.float32) for n in (inputs, hidden))
    b = rng.uniform(-bound, bound, 8 * hidden).astype(np.float32)
    order = lambda m: np.concatenate([m[0:hidden], m[3 * hidden:4 * hidden], m[hidden:2 * hidden], m[2 * hidden:3 * hidden]])
    y, y_h = g.name("lstm_y"), g.name("lstm_h")
    g.nodes.append(helper.make_node(
        "LSTM", [x, g.constant(order(w_ih)[None]), g.constant(order(w_hh)[None]),
                 g.constant(np.concatenate([order(b[:4 * hidden]), order(b[4 * hidden:])])[None])],
        [y, y_h], hidden_size=hidden))
    return y, y_h


def build(t, with_text):
    g = Graph()
    rng = np.random.default_rng(7)
    pooled = mobilenet(g, t, "image")
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 224])]
    if not with_text:
        output = pooled
    else:
        inputs.append(helper.make_tensor_value_info("ids", TensorProto.INT64, ["T", "N"]))
        visual = linear(g, pooled, rng, 1280, 256)
        x = g.node("Gather", [g.constant(rng.standard_normal((30522, 128)).astype(np.float32)), "ids"])   # [T, N, 128]
        y, _ = lstm_layer(g, x, rng, 128, 256)
        x = g.node("Squeeze", [y, g.constant(np.array([1], np.int64))])                                 # [T, N, 256]
        _, last = lstm_layer(g, x, rng, 256, 256)
        text = linear(g, g.node("Squeeze", [last, g.constant(np.array([0], np.int64))]), rng, 256, 256)
        fused = g.node("Relu", [linear(g, g.node("Concat", [visual, text], axis=1), rng, 512, 512)])
        output = g.node("LpNormalization", [linear(g, fused, rng, 512, 256)], axis=1, p=2)
    graph = helper.make_graph(g.nodes, "loomnet" if with_text else "mobilenet_v2", inputs,
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", 256 if with_text else 1280])], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def rate(model, feeds, threads, batch, repeats):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return batch / sorted(times)[len(times) // 2]


def main():
    weights = read_safetensors(sys.argv[1])
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    rng = np.random.default_rng(9)
    image = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
    ids = rng.integers(1000, 29000, (24, batch)).astype(np.int64)
    mobilenet_model, loomnet_model = build(weights, False), build(weights, True)
    result = {
        "mobilenet": [rate(mobilenet_model, {"image": image}, n, batch, repeats) for n in (1, 2)],
        "loomnet": [rate(loomnet_model, {"image": image, "ids": ids}, n, batch, repeats) for n in (1, 2)],
        "versions": {"onnxruntime": ort.__version__, "onnx": onnx.__version__},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
