#!/usr/bin/env bash
# Installs the system -dev packages Loom builds against, only those that are missing.
# Runs `apt-get update` at most once, and only when something has to be installed.
set -euo pipefail

# sqlite3: the CLI the index tests open it with; xxhash: xxhsum, which the tests check input hashes against
packages=(pkg-config libjpeg62-turbo-dev libpng-dev zlib1g-dev libsqlite3-dev libxxhash-dev sqlite3 xxhash)
# --test: also what the tests run for real: a single-node Slurm (slurm-wlm) and its authentication
# (munge), and a browser that renders the HTML report (chromium, headless)
if [ "${1:-}" = "--test" ]; then packages+=(slurm-wlm munge chromium); fi
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ] && pkg-config --exists libjpeg libpng zlib sqlite3 libxxhash 2>/dev/null; then
    exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
    missing=("${packages[@]}")
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "install-deps: need root (or sudo) to install ${missing[*]}" >&2
        exit 1
    fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
