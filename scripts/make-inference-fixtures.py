#!/usr/bin/env python3
"""Derives the inference tests' fixtures from ../shared (run once; the results are committed).

- mobilenet_v2_reference.json.gz, loomnet_reference.json.gz: the reference outputs, as published.
- inputs_224/*.png: the 7 reference input images.
- loomnet_heads.safetensors.gz: every LoomNet v1 reference tensor except the MobileNetV2 backbone
  (which the project carries in Models/mobilenet_v2) and its ImageNet classifier; rows of
  text.embedding that no reference case uses are zeroed so that the file compresses (the tests
  only look up the cases' token ids). Same names, shapes and float32 bits otherwise.
"""
import gzip, json, os, shutil, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(root, "..", "shared")
out = os.path.join(root, "Tests", "LoomInferenceTests", "Resources")
os.makedirs(os.path.join(out, "inputs_224"), exist_ok=True)

def gzip_copy(source, target):
    with open(source, "rb") as f, gzip.GzipFile(target, "wb", mtime=0) as g:
        g.write(f.read())

gzip_copy(os.path.join(shared, "corpus/reference/mobilenet_v2_reference_outputs.json"), os.path.join(out, "mobilenet_v2_reference.json.gz"))
gzip_copy(os.path.join(shared, "models/loomnet_reference/reference_outputs.json"), os.path.join(out, "loomnet_reference.json.gz"))
inputs = os.path.join(shared, "corpus/reference/mobilenet_v2_inputs_224")
for name in sorted(os.listdir(inputs)):
    shutil.copyfile(os.path.join(inputs, name), os.path.join(out, "inputs_224", name))

reference = json.load(open(os.path.join(shared, "models/loomnet_reference/reference_outputs.json")))
used = {i for case in reference["cases"] for i in case["input_ids"]}
path = os.path.join(shared, "models/loomnet_reference/model.safetensors")
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
tensors = []
for name in sorted(k for k in header if k != "__metadata__"):
    if name.startswith("visual.features.") or name.startswith("visual.classifier."):
        continue
    entry = header[name]
    begin, end = entry["data_offsets"]
    blob = bytearray(data[begin:end])
    if name == "text.embedding.weight":
        width = entry["shape"][1] * 4
        for row in range(entry["shape"][0]):
            if row not in used:
                blob[row * width:(row + 1) * width] = bytes(width)
    tensors.append((name, entry["dtype"], entry["shape"], bytes(blob)))
new_header, offset = {"__metadata__": {"format": "pt", "derived_from": "loomnet_reference (see scripts/make-inference-fixtures.py)"}}, 0
for name, dtype, shape, blob in tensors:
    new_header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    offset += len(blob)
encoded = json.dumps(new_header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)
with gzip.GzipFile(os.path.join(out, "loomnet_heads.safetensors.gz"), "wb", mtime=0) as g:
    g.write(struct.pack("<Q", len(encoded)) + encoded)
    for _, _, _, blob in tensors:
        g.write(blob)
print("fixtures written to", out, file=sys.stderr)
