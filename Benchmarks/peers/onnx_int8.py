#!/usr/bin/env python3
"""Peer for `loom-bench networks`' 8-bit rows: onnxruntime's int8 MobileNetV2.

The float graph is onnx_networks.py's, from the same weights; onnxruntime.quantization turns it
into a static QDQ model (u8 activations, s8 weights per output channel; calibrated on the
reference images, min-max), which onnxruntime runs with its integer kernels (VNNI where the CPU
has it). Prints one JSON object: {"mobilenet_int8": [images/s at 1 thread, at 2], "mobilenet":
[the float graph's images/s, the same run], "cosine": [pooled cosine to the float graph per
reference image], "versions": ...}.

usage: onnx_int8.py MODEL.safetensors IMAGES_DIR [batch] [repeats]
"""
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from PIL import Image

from onnx_graph import read_safetensors
from onnx_networks import build, rate

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def images(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        rgb = np.asarray(Image.open(os.path.join(folder, name)).convert("RGB"), np.float32) / 255
        out.append(((rgb - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32))
    return out


class Reader(CalibrationDataReader):
    def __init__(self, inputs):
        self.inputs = iter(inputs)

    def get_next(self):
        x = next(self.inputs, None)
        return None if x is None else {"image": x}


def main():
    weights = read_safetensors(sys.argv[1])
    pictures = images(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with tempfile.TemporaryDirectory() as folder:
        float_path, int8_path = os.path.join(folder, "float.onnx"), os.path.join(folder, "int8.onnx")
        with open(float_path, "wb") as f:
            f.write(build(weights, False))
        quantize_static(float_path, int8_path, Reader(pictures), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        with open(int8_path, "rb") as f:
            int8_model = f.read()
        with open(float_path, "rb") as f:
            float_model = f.read()
    sessions = [ort.InferenceSession(m, providers=["CPUExecutionProvider"]) for m in (float_model, int8_model)]
    cosines = []
    for x in pictures:
        a, b = (s.run(None, {"image": x})[0][0].astype(np.float64) for s in sessions)
        cosines.append(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    rng = np.random.default_rng(9)
    image = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
    result = {
        "mobilenet_int8": [rate(int8_model, {"image": image}, n, batch, repeats) for n in (1, 2)],
        "mobilenet": [rate(float_model, {"image": image}, n, batch, repeats) for n in (1, 2)],
        "cosine": cosines,
        "versions": {"onnxruntime": ort.__version__},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
