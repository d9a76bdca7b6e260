#!/usr/bin/env python3
"""Fails when a module reaches across the pipeline: a stage module that depends on or imports
another stage module, a library module below the stages that uses a stage or the CLI, or LoomCore
that uses any other Loom module. Reads the declared graph from `swift package dump-package` and
the `import` lines of every source file (an undeclared import can still build by accident when
the module happens to be in the build folder).

Usage: scripts/check-module-graph.py [PACKAGE_DUMP.json]   (runs swift package dump-package itself)
"""
import json
import os
import re
import subprocess
import sys

# Layers, lowest first: a module may use modules of its own layer's rules and below only.
CORE = {"LoomCore"}
LIBRARIES = {"LoomKernels", "LoomImaging", "LoomTokenizers", "LoomFormats", "LoomInference", "LoomSampleData"}
STAGES = {"LoomIngest", "LoomFetch", "LoomImages", "LoomText", "LoomTriplets", "LoomFeatures", "LoomTrain", "LoomEmbed", "LoomIndex"}
# Tools over the finished outputs of several stages (the run report reads the index, runs the
# evaluation): they may use stages, never the CLI.
TOOLS = {"LoomReport"}
TOP = {"LoomCLI"}
# Helpers of the tests and benchmarks (a small stage, a loopback photo server): no layer of Loom's.
TEST_SUPPORT = {"LoomTestSupport", "LoomPhotoServer"}
LOOM = CORE | LIBRARIES | STAGES | TOOLS | TOP


def forbidden(module):
    """The Loom modules `module` must not use."""
    if module in CORE:
        return LOOM - {module}
    if module in LIBRARIES:
        return STAGES | TOOLS | TOP
    if module in STAGES:
        return (STAGES - {module}) | TOOLS | TOP
    if module in TOOLS:
        return (TOOLS - {module}) | TOP
    return set()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(sys.argv) > 1:
        package = json.load(open(sys.argv[1]))
    else:
        dump = subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True)
        package = json.loads(dump.stdout)
    problems = []
    known = set()
    for target in package["targets"]:
        name = target["name"]
        known.add(name)
        declared = [next(iter(dependency.values()))[0] for dependency in target["dependencies"]]
        for dependency in declared:
            if dependency in forbidden(name):
                problems.append(f"Package.swift: {name} depends on {dependency}")
        if name not in LOOM:
            continue
        folder = os.path.join(root, target.get("path") or os.path.join("Sources", name))
        for directory, _, files in os.walk(folder):
            for file in sorted(files):
                if not file.endswith(".swift"):
                    continue
                path = os.path.join(directory, file)
                for number, line in enumerate(open(path, encoding="utf-8"), 1):
                    match = re.match(r"\s*(?:@testable\s+|@_exported\s+)?import\s+(?:\w+\s+)?(\w+)", line)
                    if match and match.group(1) in forbidden(name):
                        problems.append(f"{os.path.relpath(path, root)}:{number}: {name} imports {match.group(1)}")
    missing = sorted(LOOM - known)
    if missing:
        problems.append(f"scripts/check-module-graph.py names modules Package.swift does not have: {', '.join(missing)}")
    unplaced = sorted(name for name in known if name.startswith("Loom") and name not in LOOM
                      and not any(t["name"] == name and t["type"] in ("test", "executable") for t in package["targets"])
                      and name not in TEST_SUPPORT)
    if unplaced:
        problems.append(f"place these modules in a layer of scripts/check-module-graph.py: {', '.join(unplaced)}")
    if problems:
        print("check-module-graph: a module reaches across the pipeline (stages use LoomCore, LoomFormats and libraries, never each other):",
              file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        sys.exit(1)
    print(f"check-module-graph: {len(STAGES)} stage modules use no other stage; libraries use no stage")


if __name__ == "__main__":
    main()
