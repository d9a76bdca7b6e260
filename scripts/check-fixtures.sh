#!/usr/bin/env bash
# Regenerates SampleData into a temporary folder and fails if any byte differs from the
# committed copy: SampleData must be reproducible from its seed.
set -euo pipefail
loom="${1:-.build/debug/loom}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$loom" sample-data --out "$scratch/SampleData" > /dev/null
if ! diff -r SampleData "$scratch/SampleData" > "$scratch/diff.txt"; then
    echo "check-fixtures: regenerated SampleData differs from the committed one:" >&2
    head -n 20 "$scratch/diff.txt" >&2
    echo "run 'make fixtures' and commit, or find what made the generator non-deterministic" >&2
    exit 1
fi
echo "check-fixtures: SampleData regenerates byte-identical ($(find SampleData -type f | wc -l) files)"
