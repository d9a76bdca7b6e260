import LoomKernels

extension VectorSearch {
    /// Exact top-k from the 8-bit codes first, one query at a time. A query alone reads the whole
    /// database once for a handful of multiply-adds per byte, so its speed is the memory's, and
    /// the codes are a quarter of the bytes. They give every row an interval that holds its exact
    /// score; the rows whose upper end reaches the k-th best lower end — usually a few dozen — are
    /// scored again by the float kernel, exactly as a full scan would score them, so the answer is
    /// the same hits with the same bits.
    static func scanQuantized(_ queries: FloatBuffer, queryCount: Int, rows: Range<Int>, matrix: VectorMatrix, k: Int,
                              filter: SearchFilter?) -> [TopK] {
        let dots = UnsafeMutablePointer<Int32>.allocate(capacity: vectorBlock)
        defer { dots.deallocate() }
        let lower = FloatBuffer(count: vectorBlock, zeroed: false), upper = FloatBuffer(count: vectorBlock, zeroed: false)
        return (0..<queryCount).map { index in
            let query = queries.pointer + index * matrix.dim
            var candidates = QuantizedCandidates(query: query, index: index, matrix: matrix, k: k)
            var v0 = rows.lowerBound   // a multiple of 16, so of 8
            while v0 < rows.upperBound {
                let v1 = min(rows.upperBound, v0 + vectorBlock)
                matrix.quantized.dots(candidates.query, rows: v0..<v1, into: dots)
                candidates.offer(rows: v0..<v1, dots: dots, lower: lower.pointer, upper: upper.pointer, matrix: matrix, filter: filter)
                v0 = v1
            }
            return candidates.finish(query, matrix: matrix, k: k)
        }
    }
}
