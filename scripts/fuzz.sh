#!/usr/bin/env bash
# make fuzz: builds loom-fuzz with libFuzzer and AddressSanitizer (in .build-fuzz), gathers seeds
# for each harness from the test resources, runs each harness for FUZZ_SECONDS (default 60) and
# prints executions per second and what it found. Crash inputs land in fuzz/findings/<target>-*;
# replay one with `swift run loom-fuzz TARGET FILE` (no sanitizer) or the fuzz build itself.
# Exits 1 when a harness found something in this run (each finding must become a regression test).
# Usage: scripts/fuzz.sh [TARGET...]   (default: every harness)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json python png jpeg safetensors pipeline index)

# Every module instrumented for coverage (SwiftPM's --sanitize=fuzzer alone instruments only the executable).
swift build -c release --product loom-fuzz --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -DLOOM_FUZZ \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
fuzzer=.build-fuzz/release/loom-fuzz
root=fuzz
mkdir -p "$root/findings"
started=$(mktemp)   # findings newer than this file are this run's
trap 'rm -f "$started"' EXIT
new_findings=0

# Seeds: one input per file.
seeds() {
    local target=$1 dir="$root/seeds/$1"
    rm -rf "$dir"; mkdir -p "$dir"
    case $target in
    json)
        { head -n 40 SampleData/catalog/meta_2018.jsonl; head -n 40 SampleData/catalog/meta_2023.jsonl;
          zcat Tests/LoomIngestTests/Resources/2023_jsonl/meta_Amazon_Fashion.sample500.jsonl.gz | head -n 20 || true;
          zcat Tests/LoomIngestTests/Resources/2018_strict_jsonl/meta_Appliances.sample100.json.gz | head -n 20 || true; } \
            | split -l 1 -a 4 - "$dir/line-"
        cp Tests/LoomIngestTests/Resources/jsontestsuite/test_parsing/y_object*.json "$dir/" ;;
    python)
        { cat Tests/LoomIngestTests/Resources/2014_loose/meta_lines_from_code_snippets.txt;
          zcat SampleData/catalog/meta_2014_loose.json.gz | head -n 40 || true; } | split -l 1 -a 4 - "$dir/line-" ;;
    png)
        find Tests/LoomImagesTests/Resources/png SampleData/corrupt/images -name '*.png' -size -64k -exec cp {} "$dir/" \; ;;
    jpeg)
        find Tests/LoomImagesTests/Resources/jpeg Tests/LoomImagesTests/Resources/exif SampleData/corrupt/images \
            \( -name '*.jpg' -o -name '*.jpeg' \) -size -64k -exec cp {} "$dir/" \; ;;
    safetensors)
        python3 - "$dir" <<'PY'
import json, struct, sys
def write(path, tensors, metadata):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
write(sys.argv[1] + "/f32.safetensors", {"head.w": ("F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)),
      "head.b": ("F32", [2], struct.pack("<2f", 0, 1))}, {"fingerprint": "seed"})
write(sys.argv[1] + "/mixed.safetensors", {"a": ("F16", [3], struct.pack("<3e", 1, 2, -3)),
      "b": ("BF16", [2], b"\x80\x3f\x00\x40"), "c": ("I64", [2], struct.pack("<2q", 7, -1))}, {})
PY
        ;;
    pipeline)
        cp Pipelines/*.yaml "$dir/" ;;
    index)
        sqlite3 "$dir/index.sqlite" <<'SQL'
PRAGMA page_size = 512;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('stage', 'index'), ('dim', '4'), ('content_hash', 'seed'), ('metric', 'cosine');
CREATE TABLE items (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE, category TEXT, title TEXT, image TEXT, type TEXT NOT NULL);
INSERT INTO items VALUES (1, 'A1', 'Shoes', 'red shoe', NULL, 'shoes'), (2, 'A2', 'Tops', 'blue top', NULL, 'top'), (3, 'A3', NULL, NULL, NULL, 'top');
CREATE TABLE vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
INSERT INTO vectors VALUES (1, x'0000803f000000000000000000000000'), (2, x'000000000000803f0000000000000000'), (3, x'0000003f0000003f0000003f0000003f');
SQL
        ;;
    esac
}

printf '%-12s %10s %12s %8s %s\n' harness runs "exec/s" corpus findings
for target in "${targets[@]}"; do
    seeds "$target"
    mkdir -p "$root/corpus/$target"
    log="$root/$target.log"
    LOOM_FUZZ_TARGET=$target "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="$root/findings/$target-" "$root/corpus/$target" "$root/seeds/$target" > "$log" 2>&1 || true
    runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
    if [ -z "$runs" ]; then runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#'); fi
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    found=$(find "$root/findings" -name "$target-*" -newer "$started" | wc -l)
    new_findings=$((new_findings + found))
    printf '%-12s %10s %12s %8s %s\n' "$target" "${runs:-0}" "$rate" "$(ls "$root/corpus/$target" | wc -l)" \
        "$([ "$found" -gt 0 ] && echo "$found in $root/findings (see $log)" || echo none)"
done
if [ "$new_findings" -gt 0 ]; then
    echo "fuzz: $new_findings finding(s) in $root/findings" >&2
    exit 1
fi
