#!/usr/bin/env bash
# Installs the Python peers `make bench` measures Loom against, only those that are missing:
# Pillow, orjson, tokenizers, flash-tokenizer, onnxruntime + onnx, faiss-cpu, numpy, threadpoolctl, img2dataset,
# and PyTorch's CPU build (the train step's peer; never the CUDA build, which is gigabytes).
# A peer that will not install is reported by its bench row, not fatal here.
set -uo pipefail
declare -A modules=(
    [PIL]=Pillow [orjson]=orjson [tokenizers]=tokenizers [flash_tokenizer]=flash-tokenizer
    [onnxruntime]=onnxruntime [onnx]=onnx [faiss]=faiss-cpu [numpy]=numpy [threadpoolctl]=threadpoolctl [img2dataset]=img2dataset
)
missing=()
for module in "${!modules[@]}"; do
    python3 -c "import $module" 2>/dev/null || missing+=("${modules[$module]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-bench-peers: pip install ${missing[*]}" >&2
    python3 -m pip install --quiet "${missing[@]}" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "${missing[@]}" \
        || echo "install-bench-peers: some peers did not install; their rows say so" >&2
fi
if ! python3 -c "import torch" 2>/dev/null; then
    echo "install-bench-peers: pip install torch==2.13.0+cpu" >&2
    # The +cpu build comes from the configured package index where it has one, else from PyTorch's own CPU index.
    python3 -m pip install --quiet "torch==2.13.0+cpu" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "torch==2.13.0+cpu" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null \
        || echo "install-bench-peers: PyTorch's CPU build did not install; the train rows print the recorded figures" >&2
fi
