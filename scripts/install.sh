#!/usr/bin/env bash
# make install: loom, the loom-<stage> tools, the bundled models and pipelines under PREFIX:
#   PREFIX/bin/loom, PREFIX/bin/loom-<stage>, PREFIX/share/loom/{Models,Pipelines}
# loom finds its models there (../share/loom beside the executable) from any directory.
# Usage: scripts/install.sh PREFIX [BUILD_DIR]   (BUILD_DIR: where swift build put them, .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: scripts/install.sh PREFIX [BUILD_DIR]}
build=${2:-.build/release}
tools=(loom loom-ingest loom-fetch loom-images loom-text loom-triplets loom-features loom-train loom-embed loom-index)
for tool in "${tools[@]}"; do
    [ -x "$build/$tool" ] || { echo "install: $build/$tool is missing; build first (make release)" >&2; exit 66; }
done
install -d "$prefix/bin" "$prefix/share/loom"
for tool in "${tools[@]}"; do install -m 755 "$build/$tool" "$prefix/bin/$tool"; done
rm -rf "$prefix/share/loom/Models" "$prefix/share/loom/Pipelines"
cp -R Models Pipelines "$prefix/share/loom/"
echo "installed ${#tools[@]} tools in $prefix/bin, models and pipelines in $prefix/share/loom"
