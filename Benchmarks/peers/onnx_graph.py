"""What the onnxruntime peers share: a safetensors reader and a small ONNX graph builder."""
import json
import struct

import numpy as np
from onnx import helper, numpy_helper


def read_safetensors(path):
    """Every tensor of a safetensors file: floats as float32, integers as int64."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64, "F16": np.float16}[entry["dtype"]]
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
        tensors[name] = array if dtype == np.int64 else array.astype(np.float32)
    return tensors


class Graph:
    """Nodes and initialisers of an ONNX graph, each output named after its operator."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def constant(self, array, prefix="w"):
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, outputs=1, **attributes):
        names = [self.name(op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, **attributes))
        return names[0] if outputs == 1 else names
