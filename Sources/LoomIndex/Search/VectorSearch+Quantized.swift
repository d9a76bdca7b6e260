import LoomInference

extension VectorSearch {
    /// A query alone reads the whole database once for a handful of multiply-adds per byte: its
    /// speed is the memory's. So it first scans the 8-bit codes (a quarter of the bytes), which
    /// give every row an interval holding its exact score; the rows whose upper end reaches the
    /// k-th best lower end — usually a few dozen — are scored again by the float kernel, exactly
    /// as a full scan would score them, so the answer is the same hits with the same bits.
    static func scanQuantized(_ query: UnsafePointer<Float>, queryIndex: Int, rows: Range<Int>, matrix: VectorMatrix, k: Int,
                              filter: SearchFilter?) -> TopK {
        var hits = TopK(k: k)
        guard !rows.isEmpty else { return hits }
        let quantized = matrix.quantized
        let rounded = QuantizedVectors.Query(query, dim: matrix.dim, pairs: quantized.pairs)
        // The k best lower ends (of rows the filter admits); their worst is the bar.
        var lowest = TopK(k: k)
        var candidates: [(row: Int, upper: Float)] = []
        let dots = UnsafeMutablePointer<Int32>.allocate(capacity: vectorBlock)
        defer { dots.deallocate() }
        let lower = FloatBuffer(count: vectorBlock, zeroed: false), upper = FloatBuffer(count: vectorBlock, zeroed: false)
        var v0 = rows.lowerBound   // a multiple of 16, so of 8
        while v0 < rows.upperBound {
            let v1 = min(rows.upperBound, v0 + vectorBlock)
            quantized.intervals(rounded, rows: v0..<v1, dots: dots, lower: lower.pointer, upper: upper.pointer)
            collect(lower.pointer, rows: v0..<v1, into: &lowest, query: queryIndex, matrix: matrix, filter: filter)
            let bar = lowest.threshold
            var offset = 0
            while offset < v1 - v0 {
                let end = min(v1 - v0, offset + 64)
                if end - offset < 64 || maximum64(upper.pointer + offset) >= bar {
                    for at in offset..<end where upper[at] >= bar {
                        let row = v0 + at
                        if let filter, !filter.admits(row: row, type: matrix.typeCodes[row], query: queryIndex) { continue }
                        candidates.append((row, upper[at]))
                    }
                }
                offset = end
            }
            v0 = v1
        }
        // Exact scores, a strip of 16 rows at a time through the same kernel as a full scan.
        let bar = lowest.threshold
        var scores = [Float](repeating: 0, count: 16)
        var scoredStrip = -1
        for (row, upperEnd) in candidates where upperEnd >= bar {
            let strip = row / 16
            if strip != scoredStrip {
                scores.withUnsafeMutableBufferPointer {
                    SGEMM.multiply(m: 1, a: query, lda: matrix.dim, b: matrix.packed,
                                   columns: (strip * 16)..<min(matrix.count, strip * 16 + 16), c: $0.baseAddress!, ldc: 16)
                }
                scoredStrip = strip
            }
            hits.offer(SearchHit(id: matrix.ids[row], score: scores[row % 16]))
        }
        return hits
    }
}
