#!/usr/bin/env python3
"""Peer for `loom-bench minilm`: all-MiniLM-L6-v2 in onnxruntime, from the same weights.

The ONNX graph (BERT: embeddings, 6 layers of attention and GELU feed-forward, masked mean
pooling, L2 normalisation) is built here with onnx.helper from Models/minilm-l6-v2's
model.safetensors, then, where onnxruntime's transformer optimizer takes it, fused as it fuses
an exported BERT (Attention, SkipLayerNormalization, BiasGelu). Texts come as token ids from
the Swift side, so both run the same ids; batches of 32 sorted by length and padded to the
longest of each batch, as sentence-transformers feeds them.

usage: minilm_onnx.py MODEL_DIR IDS.json [repeats]
IDS.json: {"titles": [[ids…]…], "descriptions": [[ids…]…]}. Prints one JSON object:
{"titles": [texts/s at 1 thread, at 2], "descriptions": [...], "fused": bool, "check": [[384 floats] × 4],
 "versions": ...}.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from onnx_graph import Graph, read_safetensors


def build(t, heads=12, hidden=384):
    g = Graph()
    size = hidden // heads

    def linear(x, name):
        y = g.node("MatMul", [x, g.constant(t[name + ".weight"].T.copy())])
        return g.node("Add", [y, g.constant(t[name + ".bias"])])

    def norm(x, name):
        return g.node("LayerNormalization", [x, g.constant(t[name + ".weight"]), g.constant(t[name + ".bias"])],
                      axis=-1, epsilon=1e-12)

    e = "embeddings."
    words = g.node("Gather", [g.constant(t[e + "word_embeddings.weight"]), "input_ids"])
    positions = g.node("Gather", [g.constant(t[e + "position_embeddings.weight"]), "position_ids"])
    x = g.node("Add", [words, positions])
    x = g.node("Add", [x, g.constant(t[e + "token_type_embeddings.weight"][0])])
    x = norm(x, e + "LayerNorm")
    # Additive mask [B, 1, 1, L]: 0 for tokens, -10000 for padding (BERT's value).
    mask = g.node("Unsqueeze", [g.node("Unsqueeze", ["attention_mask", g.constant(np.array([1], np.int64))]),
                                g.constant(np.array([2], np.int64))])
    mask = g.node("Cast", [mask], to=TensorProto.FLOAT)
    mask = g.node("Mul", [g.node("Sub", [g.constant(np.array(1, np.float32)), mask]), g.constant(np.array(-10000, np.float32))])
    split_shape = g.constant(np.array([0, 0, heads, size], np.int64))
    merge_shape = g.constant(np.array([0, 0, hidden], np.int64))
    scale = g.constant(np.array(np.sqrt(size), np.float32))
    for layer in range(6):
        p = f"encoder.layer.{layer}."

        def head_view(y, perm):
            return g.node("Transpose", [g.node("Reshape", [y, split_shape])], perm=perm)

        q = head_view(linear(x, p + "attention.self.query"), [0, 2, 1, 3])
        k = head_view(linear(x, p + "attention.self.key"), [0, 2, 3, 1])
        v = head_view(linear(x, p + "attention.self.value"), [0, 2, 1, 3])
        scores = g.node("Add", [g.node("Div", [g.node("MatMul", [q, k]), scale]), mask])
        context = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v])
        context = g.node("Reshape", [g.node("Transpose", [context], perm=[0, 2, 1, 3]), merge_shape])
        x = norm(g.node("Add", [linear(context, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        up = linear(x, p + "intermediate.dense")
        erf = g.node("Erf", [g.node("Div", [up, g.constant(np.array(np.sqrt(2), np.float32))])])
        gelu = g.node("Mul", [g.node("Mul", [up, g.node("Add", [erf, g.constant(np.array(1, np.float32))])]),
                              g.constant(np.array(0.5, np.float32))])
        x = norm(g.node("Add", [linear(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
    weights = g.node("Cast", [g.node("Unsqueeze", ["attention_mask", g.constant(np.array([2], np.int64))])], to=TensorProto.FLOAT)
    pooled = g.node("Div", [g.node("ReduceSum", [g.node("Mul", [x, weights]), g.constant(np.array([1], np.int64))], keepdims=0),
                            g.node("ReduceSum", [weights, g.constant(np.array([1], np.int64))], keepdims=0)])
    norm2 = g.node("ReduceL2", [pooled], axes=[1], keepdims=1)
    g.nodes.append(helper.make_node("Div", [pooled, norm2], ["embedding"]))
    graph = helper.make_graph(
        g.nodes, "minilm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def batches(texts, size=32):
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = []
    for start in range(0, len(order), size):
        chosen = [texts[i] for i in order[start:start + size]]
        length = max(len(ids) for ids in chosen)
        ids = np.zeros((len(chosen), length), np.int64)
        mask = np.zeros((len(chosen), length), np.int64)
        for row, sequence in enumerate(chosen):
            ids[row, :len(sequence)] = sequence
            mask[row, :len(sequence)] = 1
        out.append({"input_ids": ids, "position_ids": np.arange(length, dtype=np.int64), "attention_mask": mask})
    return out


def main():
    directory, ids_path = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    corpus = json.load(open(ids_path))
    model = build(read_safetensors(os.path.join(directory, "model.safetensors")))
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "minilm.onnx")
    onnx.save(model, path)
    fused = False
    try:
        from onnxruntime.transformers.optimizer import optimize_model
        optimized = optimize_model(path, model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
        counts = optimized.get_fused_operator_statistics()
        fused = counts.get("Attention", 0) > 0
        path = os.path.join(folder, "minilm-fused.onnx")
        optimized.save_model_to_file(path)
    except Exception as error:  # the plain graph still runs
        print(f"optimizer: {error}", file=sys.stderr)
    result = {"fused": fused, "versions": {"onnxruntime": ort.__version__}}
    for threads in (1, 2):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        if threads == 1:
            check = batches(corpus["titles"][:4], size=4)[0]
            # Sorted by length inside the batch: give them back in the corpus's order.
            order = sorted(range(4), key=lambda i: len(corpus["titles"][i]))
            vectors = session.run(["embedding"], check)[0]
            result["check"] = [vectors[order.index(i)].tolist() for i in range(4)]
        for key in ("titles", "descriptions"):
            feed = batches(corpus[key])
            session.run(["embedding"], feed[0])
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                for batch in feed:
                    session.run(["embedding"], batch)
                times.append(time.perf_counter() - start)
            result.setdefault(key, []).append(len(corpus[key]) / sorted(times)[len(times) // 2])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
