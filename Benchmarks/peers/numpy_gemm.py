#!/usr/bin/env python3
"""Peer for `loom-bench gemm`: OpenBLAS SGEMM through numpy on the same shapes, 1 and 2 threads.

usage: numpy_gemm.py M,N,K [M,N,K ...]
Prints one JSON object: the kernel threadpoolctl reports ("architecture") and, per shape, the
GFLOP/s at 1 and 2 threads (median of 5 timings of enough products to take about 0.4 s).
loom-bench runs it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS picks its own
kernel for this CPU.
"""
import json
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def rate(m, n, k, threads):
    rng = np.random.default_rng(7)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    flops = 2.0 * m * n * k
    inner = max(1, int(4e9 / flops))
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(inner):
                np.matmul(a, b)
            times.append((time.perf_counter() - start) / inner)
    return flops / statistics.median(times) / 1e9


def main():
    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    result = {"kernel": blas[0].get("architecture", "?") if blas else "?", "version": blas[0].get("version", "?") if blas else "?", "shapes": {}}
    for shape in sys.argv[1:]:
        m, n, k = (int(x) for x in shape.split(","))
        result["shapes"][shape] = [rate(m, n, k, 1), rate(m, n, k, 2)]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
