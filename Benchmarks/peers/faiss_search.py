#!/usr/bin/env python3
"""Peer for `loom-bench search`: faiss IndexFlatIP (exact inner product) on the same vectors.

usage: faiss_search.py INDEX.sqlite QUERIES.f32 K BATCH_QUERIES SINGLE_QUERIES
Reads the vectors from the index file as numpy would (sqlite3 + frombuffer, timed), then times
batched and one-at-a-time top-k search on 1 and 2 threads. Prints one JSON object.
"""
import json
import sqlite3
import sys
import time

import faiss
import numpy as np


def main():
    index_path, queries_path, k, batch, single = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    start = time.perf_counter()
    connection = sqlite3.connect(index_path)
    rows = connection.execute("SELECT vector FROM vectors ORDER BY id").fetchall()
    matrix = np.frombuffer(b"".join(row[0] for row in rows), dtype="<f4").reshape(len(rows), -1).copy()
    load_seconds = time.perf_counter() - start
    queries = np.fromfile(queries_path, dtype="<f4").reshape(-1, matrix.shape[1])
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    result = {"load_seconds": load_seconds, "batched": [], "single": [], "faiss": faiss.__version__}
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        index.search(queries[:batch], k)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            index.search(queries[:batch], k)
            times.append(time.perf_counter() - t)
        result["batched"].append(batch / sorted(times)[1])
        t = time.perf_counter()
        for i in range(single):
            index.search(queries[i:i + 1], k)
        result["single"].append(single / (time.perf_counter() - t))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
